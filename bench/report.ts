/** One measured figure, optionally beside a baseline measured in the same run. */
export interface Row {
  group: string;
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineName?: string;
  /** Latencies and sizes: the ratio is then baseline/value, so below 1 still means "worse than baseline". */
  lowerIsBetter?: boolean;
  note?: string;
}

/** A row as a bench module returns it; the runner adds the module's group. */
export type BenchRow = Omit<Row, "group">;

/** Nearest-rank percentile (p in 0–100) of samples sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** value relative to its baseline, oriented so that 1 = as good as the baseline and below 1 = worse. */
export function ratioOf(row: Row): number | undefined {
  if (row.baseline === undefined || row.baseline === 0 || row.value === 0) return undefined;
  return row.lowerIsBetter ? row.baseline / row.value : row.value / row.baseline;
}

const number = (value: number): string =>
  Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en-US") : value.toPrecision(3);

const ratioText = (ratio: number): string =>
  ratio >= 1 ? `${number(ratio)}x` : `${number(ratio)}x (1/${number(1 / ratio)})`;

/** Aligned columns: group, name, value, baseline, ratio, note. */
export function formatReport(rows: readonly Row[]): string {
  const table = rows.map((row) => {
    const ratio = ratioOf(row);
    return [
      row.group,
      row.name,
      `${number(row.value)} ${row.unit}`,
      row.baseline === undefined
        ? ""
        : `${number(row.baseline)} ${row.unit}${row.baselineName ? ` (${row.baselineName})` : ""}`,
      ratio === undefined ? "" : ratioText(ratio),
      row.note ?? "",
    ];
  });
  const header = ["group", "name", "value", "baseline", "vs baseline", "note"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 2 || column === 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...table.map(line)].join("\n");
}

export function printReport(rows: readonly Row[]): void {
  console.log(formatReport(rows));
}
