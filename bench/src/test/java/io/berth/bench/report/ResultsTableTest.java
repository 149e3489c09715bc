package io.berth.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResultsTableTest {

    @Test
    void throughputRowNamesTheFasterServerAndTheRatio() {
        ResultsTable table = new ResultsTable();
        table.add("pull", Figure.higherIsBetter("MB/s", 300), Figure.higherIsBetter("MB/s", 200));

        assertThat(table.toMarkdown()).contains("| pull | MB/s | 300 | 200 | 1.50 | Berth |");
    }

    @Test
    void latencyRowNamesTheLowerOneAndCloseValuesTie() {
        ResultsTable table = new ResultsTable();
        table.add("a", Figure.lowerIsBetter("p99 ms", 12.5), Figure.lowerIsBetter("p99 ms", 6.25));
        table.add("b", Figure.lowerIsBetter("p50 ms", 10.2), Figure.lowerIsBetter("p50 ms", 10.0));

        assertThat(table.toMarkdown())
                .contains("| a | p99 ms | 12.5 | 6.25 | 2.00 | Distribution |")
                .contains("| b | p50 ms | 10.2 | 10 | 1.02 | tie |");
    }

    @Test
    void aPhaseTheServerLacksShowsNotApplicableOnEveryRow() {
        ResultsTable table = new ResultsTable();
        PhaseResult berth = new PhaseResult("referrers", List.of(Figure.higherIsBetter("req/s", 900),
                Figure.count("errors", 0)), null, List.of());

        table.add(berth, PhaseResult.notApplicable("referrers", "answers 404"));

        assertThat(table.toMarkdown())
                .contains("| referrers | req/s | 900 | n/a |  |  |")
                .contains("|  | errors | 0 | n/a |  |  |");
    }

    @Test
    void twoRunsOfBerthAreComparedUnderTheirOwnNames() {
        ResultsTable table = new ResultsTable("Berth + endpoint", "Berth");
        table.add("push", Figure.higherIsBetter("images/s", 40), Figure.higherIsBetter("images/s", 50));
        table.add("lag", Figure.lowerIsBetter("lag p99 ms", 12), Figure.lowerIsBetter("lag p99 ms", Double.NaN));

        assertThat(table.toMarkdown())
                .startsWith("| Phase | Metric | Berth + endpoint | Berth | Berth + endpoint / Berth | Better |")
                .contains("| push | images/s | 40 | 50 | 0.80 | Berth |")
                .contains("| lag | lag p99 ms | 12 | n/a |  |  |");
    }

    @Test
    void numbersKeepAboutThreeSignificantDigits() {
        assertThat(ResultsTable.number(0.41234)).isEqualTo("0.412");
        assertThat(ResultsTable.number(4.1234)).isEqualTo("4.12");
        assertThat(ResultsTable.number(41.234)).isEqualTo("41.2");
        assertThat(ResultsTable.number(4123.4)).isEqualTo("4123");
    }
}
