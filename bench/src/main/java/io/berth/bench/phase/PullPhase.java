package io.berth.bench.phase;

import io.berth.bench.client.Blob;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.report.PhaseResult;
import java.util.List;

/**
 * Pulls every pushed image back: the manifest by tag, then each blob, checking every digest. It runs right after
 * the push of the same images, with nothing in between, as a cluster pulls what CI has just pushed: layers a server
 * wrote past the page cache are read from the disk.
 */
public final class PullPhase implements Phase {
    private final Workload workload;
    private final String title;

    public PullPhase(Workload workload) {
        this.workload = workload;
        this.title = "pull %d images (%d × %s layers) right after their push (manifest by tag + blobs, digests "
                .formatted(workload.images().size(), workload.layers(), Workload.size(workload.layerSize()))
                + "verified), C=%d".formatted(workload.concurrency());
    }

    @Override
    public List<String> titles() {
        return List.of(title);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) {
        return List.of(workload.perImage(title, image -> pull(registry, image)));
    }

    private static long pull(RegistryClient registry, SyntheticImage image) throws Exception {
        long bytes = registry.getManifest(image.repository(), image.tag(), image.manifestDigest()).length;
        for (Blob blob : image.blobs()) {
            bytes += registry.pullBlob(image.repository(), blob.digest());
        }
        return bytes;
    }
}
