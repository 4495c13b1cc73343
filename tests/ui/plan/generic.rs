use std::marker::PhantomData;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small<T>(PhantomData<T>);

fn main() {}
