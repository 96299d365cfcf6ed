// #[sender] on a struct instead of its trait impl: the error is on the `struct` keyword.
use sluice_macros::sender;

#[sender(name = "webhook")]
#[derive(Default)]
pub struct Webhook;

fn main() {
    let _ = Webhook;
}
