package io.berth.bench.phase;

import io.berth.bench.client.Blob;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.client.UnexpectedResponse;
import io.berth.bench.report.PhaseResult;
import java.util.List;

/**
 * Pushes every image as a client does: each blob (half the images in chunks: POST, PATCH with Content-Range, PUT
 * ?digest=; the other half monolithically), then the manifest by tag. One operation is one whole image.
 */
public final class PushPhase implements Phase {
    private final Workload workload;
    private final int chunksPerBlob;
    private final String title;

    public PushPhase(Workload workload, int chunksPerBlob) {
        this.workload = workload;
        this.chunksPerBlob = chunksPerBlob;
        this.title = "push %d images (%d × %s layers; half in %d chunks, half monolithic), C=%d".formatted(
                workload.images().size(), workload.layers(), Workload.size(workload.layerSize()), chunksPerBlob,
                workload.concurrency());
    }

    /** The images it pushes. */
    public Workload workload() {
        return workload;
    }

    @Override
    public List<String> titles() {
        return List.of(title);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) {
        return List.of(workload.perImage(title, image -> push(registry, image)));
    }

    private long push(RegistryClient registry, SyntheticImage image) throws Exception {
        for (Blob blob : image.blobs()) {
            if (image.chunked()) {
                registry.pushChunked(image.repository(), blob.digest(), blob.content(), chunksPerBlob);
            } else {
                registry.pushMonolithic(image.repository(), blob.digest(), blob.content());
            }
        }
        String digest = registry.putManifest(image.repository(), image.tag(), RegistryClient.OCI_MANIFEST,
                image.manifest());
        if (digest != null && !digest.equals(image.manifestDigest())) {
            throw new UnexpectedResponse("PUT manifest " + image.tag() + " answered Docker-Content-Digest " + digest
                    + ", expected " + image.manifestDigest());
        }
        return image.totalBytes();
    }
}
