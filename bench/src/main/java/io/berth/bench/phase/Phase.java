package io.berth.bench.phase;

import io.berth.bench.client.RegistryClient;
import io.berth.bench.report.PhaseResult;
import java.util.List;

/** One part of the benchmark, run once against each registry. */
public interface Phase {

    /** The titles of the results {@link #run} returns, in order; the same for every registry. */
    List<String> titles();

    /** Runs against one registry; one result per title. */
    List<PhaseResult> run(RegistryClient registry) throws Exception;
}
