package io.berth.bench.phase;

import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.report.PhaseResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The hottest path of a registry: clients resolving a tag ({@code HEAD}) and fetching the manifest ({@code GET}),
 * each for a fixed time, on random pushed images.
 */
public final class ManifestReadPhase implements Phase {
    private final Workload workload;
    private final Duration duration;
    private final int concurrency;
    private final String headTitle;
    private final String getTitle;

    public ManifestReadPhase(Workload workload, Duration duration, int concurrency) {
        this.workload = workload;
        this.duration = duration;
        this.concurrency = concurrency;
        String conditions = "random tag, C=%d, %d s".formatted(concurrency, duration.toSeconds());
        this.headTitle = "`HEAD` manifest by tag (" + conditions + ")";
        this.getTitle = "`GET` manifest by tag (" + conditions + ", digest verified)";
    }

    @Override
    public List<String> titles() {
        return List.of(headTitle, getTitle);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) {
        var head = ClosedLoop.during(duration, concurrency, index -> {
            SyntheticImage image = randomImage();
            registry.headManifest(image.repository(), image.tag(), image.manifestDigest());
            return 0;
        });
        var get = ClosedLoop.during(duration, concurrency, index -> {
            SyntheticImage image = randomImage();
            return registry.getManifest(image.repository(), image.tag(), image.manifestDigest()).length;
        });
        return List.of(PhaseResult.of(headTitle, head, "req", false), PhaseResult.of(getTitle, get, "req", false));
    }

    private SyntheticImage randomImage() {
        return workload.image(ThreadLocalRandom.current().nextInt(workload.images().size()));
    }
}
