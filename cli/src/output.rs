//! What the commands print: a table for people, one JSON object for scripts.

use http_status::text as status_name;
use osb::catalog::Catalog;
use serde_json::Value;

mod http_status {
    /// The reason phrase of a status the API uses.
    pub(super) fn text(status: u16) -> &'static str {
        match status {
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            _ => "",
        }
    }
}

/// The offerings and their plans, one row per plan.
pub(crate) fn catalog_table(catalog: &Catalog) {
    let mut rows = vec![[
        String::from("OFFERING"),
        String::from("PLAN"),
        String::from("PLAN ID"),
        String::from("FREE"),
        String::from("BINDABLE"),
        String::from("DESCRIPTION"),
    ]];
    for service in &catalog.services {
        for plan in &service.plans {
            rows.push([
                service.name.clone(),
                plan.name.clone(),
                plan.id.clone(),
                yes_no(plan.free.unwrap_or(true)),
                yes_no(service.is_plan_bindable(plan)),
                plan.description.clone(),
            ]);
        }
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        println!("{}", line.trim_end());
    }
}

fn yes_no(value: bool) -> String {
    String::from(if value { "yes" } else { "no" })
}

/// Prints an answer: the JSON object with `--json`; otherwise a line that says what
/// happened, the new id when one was generated, and the body.
pub(crate) fn answer(json: bool, what: &str, body: &Value, new_id: Option<&str>) {
    if json {
        println!("{body}");
        return;
    }
    let status = body["status"]
        .as_u64()
        .map(|s| format!(" ({s} {})", status_name(s as u16)));
    println!("{what}{}", status.unwrap_or_default());
    if let Some(id) = new_id {
        println!("id: {id}");
    }
    for key in ["instance_id", "binding_id"] {
        if let Some(id) = body[key].as_str().filter(|id| Some(*id) != new_id) {
            println!("{key}: {id}");
        }
    }
    for key in ["answer", "last_operation", "binding"] {
        if let Some(value) = body
            .get(key)
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        {
            println!(
                "{key}: {}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        }
    }
    if body.get("status").is_none() && body.get("answer").is_none() {
        println!("{}", serde_json::to_string_pretty(body).unwrap_or_default());
    }
}
