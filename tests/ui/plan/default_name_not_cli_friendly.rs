/// A plan whose type name has a letter a CLI name may not.
#[osb::plan(id = "plan-size")]
pub struct Größe;

fn main() {}
