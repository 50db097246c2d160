//! The spec editor: a text area, and below it the submitted text line by line with each
//! problem the API found shown under the line it is on.

use super::layout::csrf_field;
use super::session::Session;
use crate::error::ApiError;
use crate::problem::SpecError;
use maud::{Markup, html};

/// The problems of a refused spec, in the API's own words, each with its line if known.
pub(crate) fn problems_of(err: &ApiError) -> Option<Vec<SpecError>> {
    match err {
        ApiError::InvalidSpecText(errors) => Some(errors.clone()),
        ApiError::InvalidSpec(problems) => Some(problems.iter().cloned().map(SpecError::from).collect()),
        // A text that does not parse: the parser names the line in its message.
        ApiError::BadRequest(message) => Some(vec![SpecError { path: "$".into(), message: message.clone(), line: line_in(message) }]),
        _ => None,
    }
}

/// The first `line N` a parser's message mentions.
fn line_in(message: &str) -> Option<u32> {
    let rest = &message[message.find("line ")? + 5..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// The editor form posting to `action`, with `errors` placed at their lines.
pub(crate) fn editor(session: &Session, action: &str, text: &str, errors: &[SpecError], submit: &str) -> Markup {
    let unplaced: Vec<&SpecError> = errors.iter().filter(|e| e.line.is_none_or(|l| l as usize > text.lines().count())).collect();
    html! {
        form.spec-form method="post" action=(action) {
            (csrf_field(session))
            label for="spec" { "Spec (YAML)" }
            textarea #spec name="spec" rows="22" spellcheck="false" autocapitalize="off" aria-describedby=[(!errors.is_empty()).then_some("spec-problems")] { (text) }
            button type="submit" { (submit) }
        }
        @if !errors.is_empty() {
            section #spec-problems aria-labelledby="spec-problems-title" {
                h2 #spec-problems-title role="alert" { (errors.len()) " problem(s) in this spec" }
                @for e in &unplaced {
                    p.spec-error data-line="" { code { (e.path) } ": " (e.message) }
                }
                ol #spec-lines .spec-lines {
                    @for (i, line) in text.lines().enumerate() {
                        @let n = i + 1;
                        @let here: Vec<&SpecError> = errors.iter().filter(|e| e.line.is_some_and(|l| l as usize == n)).collect();
                        li.spec-line.has-error[!here.is_empty()] data-line=(n) {
                            span.ln aria-hidden="true" { (n) }
                            code { (line) }
                            @for e in here {
                                p.spec-error data-line=(n) { "line " (n) ", " code { (e.path) } ": " (e.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_message_gives_its_line() {
        assert_eq!(line_in("the body is not valid YAML: did not find expected key at line 3 column 5"), Some(3));
        assert_eq!(line_in("no line here"), None);
    }
}
