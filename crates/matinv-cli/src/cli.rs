//! Command-line arguments (clap) and the two commands, `inv` and `demo`.

use crate::array::{shape_str, Array};
use crate::formats::{self, text, Format};
use crate::output;
use crate::stats::{self, MatrixStats};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Exit status: every matrix inverted and trustworthy.
pub const EXIT_OK: u8 = 0;
/// Exit status: a singular matrix (nothing written), or an untrustworthy one (rcond below
/// the dtype's eps; the output is written all the same).
pub const EXIT_MATRIX: u8 = 1;
/// Exit status: a usage or input error (nothing written).
pub const EXIT_INPUT: u8 = 2;

/// Invert matrices in files: .npy, .npz, Matrix Market, CSV and text.
#[derive(Debug, Parser)]
#[command(
    name = "matinv",
    version,
    about,
    after_help = "Exit status: 0 ok; 1 a singular matrix (nothing written) or an untrustworthy \
                  one (rcond < eps of the dtype; output written, warning on stderr); \
                  2 usage or input error (nothing written)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Invert every matrix of INPUT (numpy.linalg.inv's rules and result dtypes).
    Inv(InvArgs),
    /// Invert a few embedded examples, show their rcond and what the condition number means.
    Demo,
}

/// Arguments of `matinv inv`.
#[derive(Debug, Args)]
pub struct InvArgs {
    /// Input file (.npy, .npz, .mtx, .csv, .txt/.tsv/.dat), or - for standard input.
    pub input: String,
    /// Output file, its format from its extension; - or absent: text on standard output.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: Option<PathBuf>,
    /// Output format, instead of OUTPUT's extension.
    #[arg(short = 'f', long, value_enum)]
    pub format: Option<Format>,
    /// Input format, instead of INPUT's extension (or, for stdin, its content).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<Format>,
    /// Significant digits in text output [default: as many as needed to read back exactly].
    #[arg(short, long, value_parser = clap::value_parser!(u16).range(1..=40))]
    pub precision: Option<u16>,
    /// Print per-matrix rcond, residual and singular flags (to stdout, or to stderr when the
    /// inverse goes to stdout).
    #[arg(short, long)]
    pub stats: bool,
    /// Print the statistics as JSON (implies --stats).
    #[arg(long)]
    pub json: bool,
    /// Write NaN for singular matrices and list their indices, instead of failing the run.
    #[arg(long)]
    pub allow_singular: bool,
    /// No progress bar and no warnings on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Compute in double-double arithmetic (about 106 significant bits; matinv.inv's
    /// precision="extended"): the inverse of ill-conditioned matrices to nearly every bit
    /// of the dtype, many times slower; rcond is then judged against double-double's
    /// eps (2^-104) (--precision sets the digits of text output).
    #[arg(long)]
    pub extended: bool,
}

impl InvArgs {
    /// The core's options for these arguments.
    fn options(&self) -> matinv::InvOptions {
        let precision = match self.extended {
            true => matinv::Precision::Extended,
            false => matinv::Precision::Working,
        };
        matinv::InvOptions::default().with_precision(precision)
    }
}

/// A run that ended with a message: its exit status and one line for stderr.
#[derive(Debug)]
pub struct Failure {
    /// Exit status ([`EXIT_MATRIX`] or [`EXIT_INPUT`]).
    pub code: u8,
    /// The message, without the `matinv: error: ` prefix.
    pub message: String,
}

impl Failure {
    fn input(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_INPUT,
            message: message.into(),
        }
    }
}

/// Runs a parsed command line; returns the exit status, or a failure to report.
pub fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Inv(args) => inv(&args),
        Command::Demo => crate::demo::run().map_err(|e| Failure::input(format!("stdout: {e}"))),
    }
}

/// Where the result goes.
enum Target {
    Stdout,
    File(PathBuf),
}

/// The output of a run, decided before anything is read.
struct Destination {
    target: Target,
    /// How messages name it.
    label: String,
    format: Format,
}

/// `matinv inv`: the phases of a run, each of which can end it with a message, in the
/// order a user meets them: usage errors first, then the input, then the matrices, and
/// only then is anything written.
fn inv(args: &InvArgs) -> Result<u8, Failure> {
    let stdin = args.input == "-";
    let label = if stdin {
        "<stdin>".to_string()
    } else {
        args.input.clone()
    };
    let dest = destination(args, stdin)?;
    let arrays = read_input(args, stdin, &label)?;
    check_capacity(&dest, &label, &arrays)?;
    let (results, statuses) = invert_all(args, &label, &arrays)?;
    let summary = report_stats(args, &dest, &label, &arrays, &results, &statuses)?;
    drop(statuses);
    let multi = arrays.len() > 1;
    refuse_singular(args, &label, &summary, multi)?;
    write_output(args, &dest, &results)?;
    Ok(warn(args, &label, &summary, &arrays))
}

/// The output's target and format, checked before reading anything (usage errors first):
/// a format from the extension or `--format`, no binary data to a terminal, never the
/// input file itself.
fn destination(args: &InvArgs, stdin: bool) -> Result<Destination, Failure> {
    let (target, label) = match &args.output {
        None => (Target::Stdout, "<stdout>".to_string()),
        Some(p) if p.as_os_str() == "-" => (Target::Stdout, "<stdout>".to_string()),
        Some(p) => (Target::File(p.clone()), p.display().to_string()),
    };
    let format = match (&target, args.format) {
        (_, Some(f)) => f,
        (Target::Stdout, None) => Format::Txt,
        (Target::File(p), None) => Format::from_path(p).ok_or_else(|| {
            Failure::input(format!(
                "{label}: cannot tell the output format from the extension \
                 (use .npy, .npz, .mtx, .csv, .txt, or --format)"
            ))
        })?,
    };
    if matches!(target, Target::Stdout) && format.binary() && std::io::stdout().is_terminal() {
        return Err(Failure::input(format!(
            "<stdout>: is a terminal; refusing to write binary {} data to it \
             (redirect stdout, or use -o FILE)",
            format.extension()
        )));
    }
    if let Target::File(p) = &target {
        if !stdin && same_file(Path::new(&args.input), p) {
            return Err(Failure::input(format!(
                "{label}: is the input file; matinv never overwrites its input"
            )));
        }
    }
    Ok(Destination {
        target,
        label,
        format,
    })
}

/// Every array of the input, whole: every reader works on bytes whose length is the real
/// size, so no header can make us allocate more than a small multiple of it.
fn read_input(args: &InvArgs, stdin: bool, label: &str) -> Result<Vec<(String, Array)>, Failure> {
    let in_path = Path::new(&args.input);
    let mut bytes = Vec::new();
    let read = if stdin {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(in_path).map(|b| bytes = b)
    };
    read.map_err(|e| Failure::input(format!("{label}: cannot read: {}", io_reason(&e))))?;
    let in_format = args
        .input_format
        .or_else(|| (!stdin).then(|| Format::from_path(in_path)).flatten())
        .unwrap_or_else(|| Format::sniff(&bytes));
    formats::read(&bytes, in_format).map_err(|e| Failure::input(format!("{label}: {e}")))
}

/// Refuses, before computing, an output format that cannot hold the results: one `.npy`
/// for several arrays, Matrix Market for more than one matrix.
fn check_capacity(
    dest: &Destination,
    label: &str,
    arrays: &[(String, Array)],
) -> Result<(), Failure> {
    let out_label = &dest.label;
    let multi = arrays.len() > 1;
    if dest.format == Format::Npy && multi {
        return Err(Failure::input(format!(
            "{out_label}: {label} holds {} arrays; write them to an .npz",
            arrays.len()
        )));
    }
    if !dest.format.single_matrix() {
        return Ok(());
    }
    let too_many = arrays
        .iter()
        .find(|(_, a)| a.shape.len() > 2)
        .or(multi.then(|| &arrays[1]));
    match too_many {
        None => Ok(()),
        Some((name, a)) => Err(Failure::input(format!(
            "{out_label}: Matrix Market holds one matrix, {label} has {} {} (array {name}); \
             write an .npy or .npz",
            if multi {
                "several arrays, e.g."
            } else {
                "shape"
            },
            shape_str(&a.shape)
        ))),
    }
}

/// The inverses of every array (numpy's result dtypes) and a status per matrix, with a
/// progress bar for long jobs on a terminal.
#[allow(clippy::type_complexity)]
fn invert_all(
    args: &InvArgs,
    label: &str,
    arrays: &[(String, Array)],
) -> Result<(Vec<(String, Array)>, Vec<Vec<matinv::Status>>), Failure> {
    let mut results = Vec::with_capacity(arrays.len());
    let mut statuses = Vec::with_capacity(arrays.len());
    for (name, a) in arrays {
        let progress =
            crate::progress::Progress::new(a, args.quiet || !std::io::stderr().is_terminal());
        let opts = args.options();
        let (x, status) = stats::invert(a, &opts, progress.chunk(), &mut |c| progress.advance(c))
            .map_err(|e| Failure::input(format!("{label}: {e}")))?;
        progress.finish();
        results.push((name.clone(), x));
        statuses.push(status);
    }
    Ok((results, statuses))
}

/// The statistics, one matrix at a time: printed as they come (`--stats`, `--json`; to
/// stderr when the inverse goes to stdout) and summed up for the messages, never
/// collected (memory O(1) in the count).
fn report_stats(
    args: &InvArgs,
    dest: &Destination,
    label: &str,
    arrays: &[(String, Array)],
    results: &[(String, Array)],
    statuses: &[Vec<matinv::Status>],
) -> Result<Summary, Failure> {
    let want_stats = args.stats || args.json;
    let mut summary = Summary::default();
    let mut sink: Box<dyn Write> = if !want_stats {
        Box::new(std::io::sink())
    } else if matches!(dest.target, Target::Stdout) {
        Box::new(std::io::BufWriter::new(std::io::stderr().lock()))
    } else {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    };
    let mut report = want_stats.then_some(Report {
        json: args.json,
        show_array: arrays.len() > 1,
        rows: 0,
    });
    walk_stats(
        &mut sink,
        report.as_mut(),
        args.extended,
        label,
        arrays,
        results,
        statuses,
        &mut summary,
    )
    .map_err(|e| Failure::input(format!("cannot print the statistics: {}", io_reason(&e))))?;
    Ok(summary)
}

/// Singular matrices fail the whole run (numpy's message, plus where) unless
/// `--allow-singular`.
fn refuse_singular(
    args: &InvArgs,
    label: &str,
    summary: &Summary,
    multi: bool,
) -> Result<(), Failure> {
    if summary.singular_count == 0 || args.allow_singular {
        return Ok(());
    }
    let s = &summary.singular[0];
    let more = match summary.singular_count {
        1 => String::new(),
        k => format!(" and {} more", k - 1),
    };
    Err(Failure {
        code: EXIT_MATRIX,
        message: format!(
            "{label}: Singular matrix: matrix {}{} (zero pivot in column {}){more}; \
             nothing written (--allow-singular writes NaN for them)",
            s.label,
            if multi {
                format!(" of array {}", s.array)
            } else {
                String::new()
            },
            s.pivot.unwrap_or(0),
        ),
    })
}

/// The results, to stdout or to the file (atomically, see [`output::write_file`]).
fn write_output(
    args: &InvArgs,
    dest: &Destination,
    results: &[(String, Array)],
) -> Result<(), Failure> {
    let precision = args.precision.map(usize::from);
    let format = dest.format;
    match &dest.target {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            let mut w = std::io::BufWriter::new(&mut out);
            output::serialize_stream(results, format, precision, &mut w)
                .and_then(|_| w.flush())
                .map_err(|e| Failure::input(format!("<stdout>: {}", io_reason(&e))))
        }
        Target::File(p) => output::write_file(
            p,
            |mut w| output::serialize_into(results, format, precision, &mut w),
            |mut w| output::serialize_stream(results, format, precision, &mut w),
        )
        .map_err(|e| Failure::input(format!("{}: cannot write: {}", dest.label, io_reason(&e)))),
    }
}

/// The warnings of a run whose output was written (unless `--quiet`), and its exit
/// status: singular matrices written as NaN, matrices whose rcond is below the dtype's
/// eps.
fn warn(args: &InvArgs, label: &str, summary: &Summary, arrays: &[(String, Array)]) -> u8 {
    let multi = arrays.len() > 1;
    if summary.singular_count > 0 && !args.quiet {
        eprintln!(
            "matinv: warning: {label}: {} singular {} written as NaN: {}",
            summary.singular_count,
            if summary.singular_count == 1 {
                "matrix"
            } else {
                "matrices"
            },
            list(&summary.singular, summary.singular_count, multi)
        );
    }
    if summary.bad_count == 0 {
        return EXIT_OK;
    }
    if !args.quiet {
        let eps = stats::trust_eps(&arrays[0].1, args.extended);
        eprintln!(
            "matinv: warning: {label}: {} {} rcond below eps ({eps:.1e}), the inverse cannot be \
             trusted: {} (rcond {:.1e})",
            summary.bad_count,
            if summary.bad_count == 1 {
                "matrix has"
            } else {
                "matrices have"
            },
            list(&summary.bad, summary.bad_count, multi),
            summary.bad[0].rcond,
        );
    }
    EXIT_MATRIX
}

/// Computes every matrix's statistics, prints them through `report` if given, and adds
/// them up in `summary`.
#[allow(clippy::too_many_arguments)]
fn walk_stats(
    sink: &mut dyn Write,
    mut report: Option<&mut Report>,
    extended: bool,
    label: &str,
    arrays: &[(String, Array)],
    results: &[(String, Array)],
    statuses: &[Vec<matinv::Status>],
    summary: &mut Summary,
) -> std::io::Result<()> {
    if let Some(r) = report.as_mut() {
        r.begin(sink, label, arrays)?;
    }
    let residuals = report.is_some();
    for ((name, a), ((_, x), status)) in arrays.iter().zip(results.iter().zip(statuses)) {
        stats::each(name, a, x, status, residuals, extended, &mut |m| {
            let r = match report.as_mut() {
                Some(r) => r.row(sink, &m),
                None => Ok(()),
            };
            summary.add(m);
            r
        })?;
    }
    if let Some(r) = report.as_mut() {
        r.end(sink)?;
    }
    sink.flush()
}

/// How many labels the messages list.
const LISTED: usize = 10;

/// What the messages need of the statistics: counts, and the first few matrices of each
/// kind.
#[derive(Default)]
struct Summary {
    singular: Vec<MatrixStats>,
    singular_count: usize,
    bad: Vec<MatrixStats>,
    bad_count: usize,
}

impl Summary {
    fn add(&mut self, m: MatrixStats) {
        if m.singular {
            self.singular_count += 1;
            if self.singular.len() < LISTED {
                self.singular.push(m);
            }
        } else if m.ill_conditioned {
            self.bad_count += 1;
            if self.bad.len() < LISTED {
                self.bad.push(m);
            }
        }
    }
}

/// The `--stats` table or `--json` document, written row by row.
struct Report {
    json: bool,
    show_array: bool,
    rows: usize,
}

impl Report {
    fn begin(
        &mut self,
        out: &mut dyn Write,
        label: &str,
        arrays: &[(String, Array)],
    ) -> std::io::Result<()> {
        if !self.json {
            return out.write_all(table_header(self.show_array).as_bytes());
        }
        let arrays: Vec<_> = arrays
            .iter()
            .map(|(name, a)| {
                serde_json::json!({ "name": name, "shape": a.shape, "dtype": a.data.dtype_name(), "eps": a.data.eps() })
            })
            .collect();
        write!(
            out,
            "{{\n  \"input\": {},\n  \"arrays\": {},\n  \"matrices\": [",
            serde_json::Value::from(label),
            serde_json::Value::from(arrays)
        )
    }

    fn row(&mut self, out: &mut dyn Write, m: &MatrixStats) -> std::io::Result<()> {
        self.rows += 1;
        if !self.json {
            return out.write_all(table_row(m, self.show_array).as_bytes());
        }
        let sep = if self.rows == 1 { "\n    " } else { ",\n    " };
        let text = serde_json::to_string(m).map_err(std::io::Error::other)?;
        write!(out, "{sep}{text}")
    }

    fn end(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if !self.json {
            return Ok(());
        }
        if self.rows > 0 {
            writeln!(out, "\n  ]\n}}")
        } else {
            writeln!(out, "]\n}}")
        }
    }
}

/// Up to ten matrix labels (the first of `total`), then a count.
fn list(items: &[MatrixStats], total: usize, multi: bool) -> String {
    let mut s: Vec<String> = items
        .iter()
        .take(LISTED)
        .map(|m| {
            if multi {
                format!("{}[{}]", m.array, m.label)
            } else {
                m.label.clone()
            }
        })
        .collect();
    if total > LISTED {
        s.push(format!("and {} more", total - LISTED));
    }
    s.join(", ")
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Whether `a` and `b` name one file: the same path once links are followed, or (on Unix)
/// the same device and inode, which also catches a hard link to the input.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return (x.dev(), x.ino()) == (y.dev(), y.ino());
        }
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The `--stats` table.
pub fn table(stats: &[MatrixStats], show_array: bool) -> String {
    let mut s = table_header(show_array);
    for m in stats {
        s.push_str(&table_row(m, show_array));
    }
    s
}

fn table_header(show_array: bool) -> String {
    let head = if show_array {
        format!("{:<12} ", "array")
    } else {
        String::new()
    };
    format!(
        "{head}{:>10} {:>6} {:>10} {:>10}  {}\n",
        "matrix", "n", "rcond", "residual", "status"
    )
}

fn table_row(m: &MatrixStats, show_array: bool) -> String {
    let arr = if show_array {
        format!("{:<12} ", m.array)
    } else {
        String::new()
    };
    let status = if m.singular {
        format!("singular (zero pivot in column {})", m.pivot.unwrap_or(0))
    } else if m.ill_conditioned {
        "untrustworthy (rcond < eps)".into()
    } else {
        "ok".into()
    };
    let residual = m.residual.map_or("-".to_string(), |r| format!("{r:.2}"));
    format!(
        "{arr}{:>10} {:>6} {:>10.2e} {:>10}  {status}\n",
        m.label, m.n, m.rcond, residual
    )
}

/// Prints one array as whitespace-delimited text (the layout `matinv demo` uses too).
pub fn print_text(a: &Array, out: &mut impl Write) -> std::io::Result<()> {
    text::write(a, None, text::Delimiter::Whitespace, None, out)
}
