// Go's text/tabwriter as kubectl's describers use it (tabbedString: minwidth 0, padding 2, spaces):
// a cell is text ended by a tab, and a column is aligned over a block of consecutive lines that
// all have a cell in it, so "OldReplicaSets:\t" lines up with the condition rows just above it
// but not with lines after a line without a tab. Text after a line's last tab is not padded.

/** Lays out `text` (lines of tab-ended cells) as Go's tabwriter would with the given padding. */
export function tabwrite(text: string, padding = 2): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];
  const write = (from: number, to: number) => {
    for (let i = from; i < to; i++) out.push(lines[i]!.map((c, j) => (j < widths.length ? c.padEnd(widths[j]!) : c)).join(''));
  };
  // (tabwriter's format: a column's block is the lines from here with a cell in that column)
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      write(line0, i);
      line0 = i;
      let width = 0;
      for (; i < line1 && column < lines[i]!.length - 1; i++) width = Math.max(width, lines[i]![column]!.length + padding);
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
      i--;
    }
    write(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}
