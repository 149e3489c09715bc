package io.berth.bench;

import io.berth.bench.client.RegistryClient;
import io.berth.bench.report.PhaseResult;
import io.berth.bench.server.ServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** One registry in the comparison: its process, a client for it, and what was measured. */
final class Contender {
    final ServerProcess server;
    final RegistryClient client;
    final List<Duration> startTimes = new ArrayList<>();
    final List<PhaseResult> results = new ArrayList<>();
    double idleRssMebibytes;

    Contender(ServerProcess server) {
        this.server = server;
        this.client = new RegistryClient(server.url());
    }

    String name() {
        return server.name();
    }

    Duration medianStartTime() {
        List<Duration> sorted = startTimes.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
