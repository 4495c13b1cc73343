use std::marker::PhantomData;

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db<T>(PhantomData<T>);

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
