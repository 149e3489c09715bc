package io.berth.bench.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The one markdown table of a run: every figure of every phase for Berth and for Distribution, their ratio, and
 * which one did better. The same table compares two runs of Berth too, under other column names.
 */
public final class ResultsTable {
    /** Differences smaller than this are noise on a shared 2-core machine: the row is called a tie. */
    private static final double TIE = 0.05;

    private final String first;
    private final String second;
    private final List<String[]> rows = new ArrayList<>();

    /** Berth against Distribution. */
    public ResultsTable() {
        this("Berth", "Distribution");
    }

    /** {@code first} against {@code second}: the names of the columns, and of the one that did better. */
    public ResultsTable(String first, String second) {
        this.first = first;
        this.second = second;
    }

    /** Adds one phase; both results carry the same title ({@code berth}'s is shown). */
    public void add(PhaseResult berth, PhaseResult distribution) {
        List<Figure> metrics = !berth.figures().isEmpty() ? berth.figures() : distribution.figures();
        if (metrics.isEmpty()) {
            rows.add(new String[] {berth.title(), "", cell(berth, null), cell(distribution, null), "", ""});
            return;
        }
        boolean firstRow = true;
        for (Figure metric : metrics) {
            Figure b = find(berth, metric.metric());
            Figure d = find(distribution, metric.metric());
            rows.add(new String[] {firstRow ? berth.title() : "", metric.metric(), cell(berth, b),
                    cell(distribution, d), ratio(b, d), winner(b, d)});
            firstRow = false;
        }
    }

    /** A row that is no phase: start time, memory, disk speed. */
    public void add(String title, Figure berth, Figure distribution) {
        add(new PhaseResult(title, List.of(berth), null, List.of()),
                new PhaseResult(title, List.of(distribution), null, List.of()));
    }

    public String toMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("| Phase | Metric | %s | %s | %s / %s | Better |\n".formatted(first, second, first, second));
        out.append("|---|---|---:|---:|---:|---|\n");
        for (String[] row : rows) {
            out.append("| ").append(String.join(" | ", Arrays.stream(row).map(ResultsTable::escape).toList()))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** A '|' would end the cell. */
    private static String escape(String cell) {
        return cell.replace("|", "\\|");
    }

    private static Figure find(PhaseResult result, String metric) {
        return result.figures().stream().filter(f -> f.metric().equals(metric)).findFirst().orElse(null);
    }

    private static String cell(PhaseResult result, Figure figure) {
        if (result.notApplicable() != null) {
            return result.notApplicable().startsWith("failed") ? "failed" : "n/a";
        }
        return figure == null || Double.isNaN(figure.value()) ? "n/a" : number(figure.value());
    }

    private static String ratio(Figure berth, Figure distribution) {
        if (!comparable(berth, distribution) || berth.better() == Figure.Better.NEITHER
                || distribution.value() == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2f", berth.value() / distribution.value());
    }

    private String winner(Figure berth, Figure distribution) {
        if (!comparable(berth, distribution) || berth.better() == Figure.Better.NEITHER) {
            return "";
        }
        double b = berth.value();
        double d = distribution.value();
        if (Math.abs(b - d) <= TIE * Math.max(Math.abs(b), Math.abs(d))) {
            return "tie";
        }
        boolean berthHigher = b > d;
        return berthHigher == (berth.better() == Figure.Better.HIGHER) ? first : second;
    }

    private static boolean comparable(Figure berth, Figure distribution) {
        return berth != null && distribution != null && !Double.isNaN(berth.value())
                && !Double.isNaN(distribution.value());
    }

    /** Three significant digits or so: 0.412, 4.12, 41.2, 412, 4120. */
    public static String number(double value) {
        double magnitude = Math.abs(value);
        String pattern = magnitude == Math.rint(magnitude) && magnitude < 1e15 ? "%.0f"
                : magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : magnitude >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, pattern, value);
    }
}
