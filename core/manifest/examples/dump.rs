//! Prints what Tailor reads from manifest files: one JSON value per document, with errors
//! and warnings on stderr as `file:line:col: message`.
//!
//! `cargo run -p tailor-manifest --example dump -- FILE...`

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let (inputs, errors) = tailor_manifest::files::expand(&paths);
    for err in errors {
        eprintln!("{err}");
    }
    for input in inputs {
        let text = match input.read() {
            Ok(text) => text,
            Err(err) => {
                eprintln!("{err}");
                continue;
            }
        };
        for doc in tailor_manifest::parse_stream(&text) {
            match doc {
                Ok(doc) => {
                    for w in &doc.warnings {
                        eprintln!("{input}:{w}");
                    }
                    println!("{}", doc.value);
                }
                Err(err) => eprintln!("{input}:{err}"),
            }
        }
    }
}
