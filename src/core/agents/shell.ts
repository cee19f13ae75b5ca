/*
 * Shell start-up files, read for the variables they set: `export NAME=value` and `NAME=value`
 * (sh, bash, zsh), `setenv NAME value` (csh, tcsh), `set -x NAME value` (fish). A statement can
 * run over several lines (a backslash before the line break, or a quote left open); it is read
 * whole, as the shell reads it, not as its first line.
 */

interface ShellStatement {
  /** 1-based lines of its first and last character. */
  start: number;
  end: number;
  /** The statement with each backslash-newline the shell removes (outside 'single quotes') removed. */
  text: string;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
// The beginning of a statement that sets a variable, in each shell's words.
const SETS = new RegExp(`^[ \\t]*(?:(?:export[ \\t]+)?${NAME}[ \\t]*=|setenv[ \\t]|set[ \\t])`);

/**
 * The file's statements, each ended by a line break outside quotes and not escaped. Comments run to
 * the end of their line, whatever quotes they hold (`# don't`). Only a statement that sets a
 * variable runs on past a line break inside quotes: anywhere else (a here-document's text, with its
 * apostrophes) a line break ends it, so a stray quote cannot hide the lines after it. Only the
 * shell's quoting is read, nothing is expanded.
 */
function shellStatements(text: string): ShellStatement[] {
  const out: ShellStatement[] = [];
  let quote: "'" | '"' | null = null;
  let comment = false;
  let current = '';
  let start = 1;
  let line = 1;
  const end = () => {
    out.push({ start, end: line, text: current });
    current = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      if (comment || quote === null || !SETS.test(current)) {
        comment = false;
        quote = null;
        end();
        start = line + 1;
      } else current += c;
      line++;
      continue;
    }
    if (comment) {
      current += c;
      continue;
    }
    if (c === '\\' && quote !== "'") {
      const next = text[i + 1];
      if (next === '\n') {
        // A line continuation: the shell reads on as if both characters were not there.
        line++;
        i++;
        continue;
      }
      if (next !== undefined && next !== '\r') {
        current += c + next;
        i++;
        continue;
      }
    }
    if (quote === null && c === '#' && (current === '' || /\s/.test(current.at(-1)!))) comment = true;
    else if (quote === null && (c === "'" || c === '"')) quote = c;
    else if (quote === c) quote = null;
    current += c;
  }
  if (current !== '') end();
  return out;
}

const POSIX = new RegExp(`^[ \\t]*(?:export[ \\t]+)?(${NAME})[ \\t]*=`);
const CSH = new RegExp(`^[ \\t]*setenv[ \\t]+(${NAME})(?:[ \\t]+(.*))?$`, 's');
// fish: `set -x NAME value`, `set -gx …`, `set --export --global …`: options before the name.
const FISH = new RegExp(`^[ \\t]*set(?:[ \\t]+-{1,2}[A-Za-z-]+)*[ \\t]+(${NAME})(?:[ \\t]+(.*))?$`, 's');

/**
 * A statement that sets a variable, as a `NAME=value` line a .env reader takes (quotes and all), or
 * null. POSIX assignments are passed as they are.
 */
function asAssignment(statement: string): string | null {
  if (POSIX.test(statement)) return statement;
  const m = CSH.exec(statement) ?? FISH.exec(statement);
  if (!m) return null;
  return `${m[1]}=${(m[2] ?? '').trim()}`;
}

/**
 * The file as a .env text holding only its assignments, each on the line where its statement
 * starts (the lines it spanned left blank), so line numbers stay those of the file; and the lines
 * those statements cover.
 */
export function shellAssignments(text: string): { dotenv: string; lines: Set<number> } {
  const rows: string[] = [];
  const lines = new Set<number>();
  for (const s of shellStatements(text)) {
    const assignment = asAssignment(s.text);
    if (assignment === null) continue;
    // A value across lines keeps its line breaks inside its quotes; the rows after it stay blank.
    rows[s.start - 1] = assignment.replace(/\r\n?/g, '\n');
    for (let l = s.start; l <= s.end; l++) lines.add(l);
  }
  const total = text.split('\n').length;
  const out: string[] = [];
  for (let l = 1; l <= total; l++) {
    if (rows[l - 1] !== undefined) {
      out.push(rows[l - 1]!);
      const spanned = rows[l - 1]!.split('\n').length - 1;
      l += spanned; // its own line breaks stand for the lines it spanned
    } else out.push('');
  }
  return { dotenv: out.join('\n'), lines };
}
