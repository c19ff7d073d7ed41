//! `iamctl`: lint IAM policies and decide requests.

fn main() {}
