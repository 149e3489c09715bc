package io.berth.bench.phase;

import io.berth.bench.client.HeadClient;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.report.PhaseResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The hottest path of a registry: clients resolving a tag ({@code HEAD}) and fetching the manifest ({@code GET}),
 * each for a fixed time, on random pushed images.
 */
public final class ManifestReadPhase implements Phase {
    private final Workload workload;
    private final Duration duration;
    private final int concurrency;
    private final ReadClient client;
    private final String headTitle;
    private final String getTitle;

    public ManifestReadPhase(Workload workload, Duration duration, int concurrency, ReadClient client) {
        this.workload = workload;
        this.duration = duration;
        this.concurrency = concurrency;
        this.client = client;
        // wrk 4.1 waits for the body a HEAD response's Content-Length announces and never completes one, so HEAD
        // goes through a minimal socket client instead (or the Java client, with --read-client=java).
        this.headTitle = "`HEAD` manifest by tag (random tag; %s, C=%d, %d s; digest verified)"
                .formatted(client.isWrk() ? "socket client" : "Java client", concurrency, duration.toSeconds());
        this.getTitle = "`GET` manifest by tag (random tag; %s, C=%d, %d s; %s)".formatted(client.label(),
                concurrency, duration.toSeconds(),
                client.isWrk() ? "%d checked first".formatted(ReadClient.CHECKED) : "digest verified");
    }

    @Override
    public List<String> titles() {
        return List.of(headTitle, getTitle);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) throws Exception {
        PhaseResult heads;
        try (HeadClient sockets = client.isWrk() ? new HeadClient(registry.base()) : null) {
            ClosedLoop.Operation head = index -> {
                SyntheticImage image = randomImage();
                if (sockets != null) {
                    sockets.headManifest(image.repository(), image.tag(), image.manifestDigest());
                } else {
                    registry.headManifest(image.repository(), image.tag(), image.manifestDigest());
                }
                return 0;
            };
            heads = PhaseResult.of(headTitle, ClosedLoop.during(duration, concurrency, head), "req", false);
        }
        ClosedLoop.Operation get = index -> {
            SyntheticImage image = randomImage();
            return registry.getManifest(image.repository(), image.tag(), image.manifestDigest()).length;
        };
        if (client.isWrk()) {
            List<String> paths = workload.images().stream()
                    .map(image -> "/v2/" + image.repository() + "/manifests/" + image.tag())
                    .toList();
            Map<String, String> accept = Map.of("Accept", RegistryClient.ACCEPT_MANIFESTS);
            return List.of(heads, client.measure(getTitle, registry, get, "GET", paths, accept, concurrency, duration));
        }
        return List.of(heads, PhaseResult.of(getTitle, ClosedLoop.during(duration, concurrency, get), "req", false));
    }

    private SyntheticImage randomImage() {
        return workload.image(ThreadLocalRandom.current().nextInt(workload.images().size()));
    }
}
