package io.berth.bench.report;

import io.berth.bench.measure.Outcome;
import io.berth.bench.measure.WrkResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures one phase (or one part of a phase) produced against one server.
 *
 * @param title        names the phase and its size; both servers' results of a phase carry the same title
 * @param figures      the measured numbers, in the order the table shows them
 * @param notApplicable why there are no figures (the server lacks the API), null when measured
 * @param notes         what a reader should know: the first failures, behaviour that differs from the spec
 */
public record PhaseResult(String title, List<Figure> figures, String notApplicable, List<String> notes) {

    public PhaseResult {
        figures = List.copyOf(figures);
        notes = List.copyOf(notes);
    }

    /** Throughput in operations/s, optionally MB/s, then p50, p99 and the error count. */
    public static PhaseResult of(String title, Outcome outcome, String operationUnit, boolean bytesMove) {
        List<Figure> figures = new ArrayList<>();
        figures.add(Figure.higherIsBetter(operationUnit + "/s", outcome.operationsPerSecond()));
        if (bytesMove) {
            figures.add(Figure.higherIsBetter("MB/s", outcome.megabytesPerSecond()));
        }
        figures.add(Figure.lowerIsBetter("p50 ms", outcome.latencies().percentileMillis(50)));
        figures.add(Figure.lowerIsBetter("p99 ms", outcome.latencies().percentileMillis(99)));
        figures.add(Figure.count("errors", outcome.errors()));
        return new PhaseResult(title, figures, null, errorNotes(outcome));
    }

    /**
     * A phase measured with {@code wrk}: its requests/s, p50 and p99; errors are wrk's (statuses of 400 and above,
     * socket errors) plus those of the Java client's {@code checked} requests sent before it.
     */
    public static PhaseResult of(String title, WrkResult wrk, Outcome checked) {
        List<Figure> figures = List.of(
                Figure.higherIsBetter("req/s", wrk.requestsPerSecond()),
                Figure.lowerIsBetter("p50 ms", wrk.p50Millis()),
                Figure.lowerIsBetter("p99 ms", wrk.p99Millis()),
                Figure.count("errors", wrk.errors() + checked.errors()));
        List<String> notes = new ArrayList<>(errorNotes(checked));
        if (wrk.badStatus() > 0) {
            notes.add("wrk: %d of %d responses had a status of 400 or above".formatted(wrk.badStatus(),
                    wrk.requests()));
        }
        if (wrk.socketErrors() > 0) {
            notes.add("wrk: " + wrk.socketErrorLine());
        }
        return new PhaseResult(title, figures, null, notes);
    }

    public static List<String> errorNotes(Outcome outcome) {
        return outcome.errorSamples().stream()
                .map(error -> "error: `" + error.replace('\n', ' ').replace('`', '\'') + "`")
                .toList();
    }

    public PhaseResult withNote(String note) {
        List<String> more = new ArrayList<>(notes);
        more.add(note);
        return new PhaseResult(title, figures, notApplicable, more);
    }

    public static PhaseResult notApplicable(String title, String reason) {
        return new PhaseResult(title, List.of(), reason, List.of());
    }

    public long errors() {
        return figures.stream().filter(f -> f.metric().equals("errors")).mapToLong(f -> (long) f.value()).sum();
    }
}
