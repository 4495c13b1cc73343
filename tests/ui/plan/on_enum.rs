/// Database sizes.
#[osb::plan(id = "plan-small")]
pub enum Size {
    Small,
    Large,
}

fn main() {}
