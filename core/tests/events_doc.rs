//! `docs/events.md` lists the event kinds from the core's one list (`incidentd_core::events`).
//! A kind added, renamed or re-described there fails this test until the docs say the same;
//! `UPDATE_DOCS=1 cargo test -p incidentd-core --test events_doc` rewrites the table.

use incidentd_core::events::docs_table;

const START: &str = "<!-- event-kinds:start -->\n";
const END: &str = "<!-- event-kinds:end -->";

#[test]
fn the_docs_table_is_the_list_of_event_kinds() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/events.md");
    let doc = std::fs::read_to_string(path).expect("docs/events.md exists");
    let start = doc.find(START).expect("the start marker") + START.len();
    let end = doc.find(END).expect("the end marker");
    let table = docs_table();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(path, updated).expect("docs/events.md is writable");
        return;
    }
    assert_eq!(
        &doc[start..end],
        table,
        "docs/events.md is out of date: UPDATE_DOCS=1 cargo test -p incidentd-core --test events_doc"
    );
}
