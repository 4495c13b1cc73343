// Every mistake of one `#[osb::plan]` is reported, not only the first: the empty id,
// the unknown key, the name that is not CLI-friendly, the version that is not semver
// and the missing description.
#[osb::plan(id = "", fre, name = "Small Plan", maintenance_info(version = "one"))]
pub struct Small;

fn main() {}
