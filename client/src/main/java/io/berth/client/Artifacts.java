package io.berth.client;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.ImageManifestWriter;
import io.berth.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Artifacts that refer to an image (signatures, SBOMs, attestations), as the image spec's "Guidelines for Artifact
 * Usage" shape them: an image manifest with an {@code artifactType}, the empty config, one layer per file and a
 * {@code subject}; and the tree of artifacts that refer to a manifest.
 */
public final class Artifacts {
    /** The empty descriptor's content: {@code {}}. */
    public static final byte[] EMPTY_CONTENT = "{}".getBytes(StandardCharsets.US_ASCII);
    /** The empty descriptor ({@code sha256:44136fa3…}, 2 bytes), the config of artifacts that have none. */
    public static final Descriptor EMPTY = new Descriptor(MediaTypes.OCI_EMPTY, Digest.sha256(EMPTY_CONTENT), 2);
    public static final String TITLE = "org.opencontainers.image.title";
    public static final String CREATED = "org.opencontainers.image.created";
    /** How deep {@link #discover} follows referrers of referrers unless told otherwise. */
    public static final int DEFAULT_DEPTH = 8;

    private Artifacts() {
    }

    /**
     * Pushes an artifact that refers to {@code subject}: its files as layers (titled with their names), the empty
     * config, and the annotations, to which {@code org.opencontainers.image.created} is added with the current time
     * unless they name it (an empty value leaves it out). On a registry without the referrers API, the subject's
     * referrers tag schema index is updated too ({@link Repository#pushReferrer}).
     *
     * @return the artifact manifest as pushed, by its digest
     */
    public static PushedManifest attach(Repository repository, Descriptor subject, String artifactType,
                                        List<ArtifactFile> files, Map<String, String> annotations,
                                        ProgressListener progress) throws IOException {
        if (artifactType == null || artifactType.isEmpty()) {
            throw new IllegalArgumentException("an artifact needs an artifact type");
        }
        Set<String> titles = new HashSet<>();
        for (ArtifactFile file : files) {
            if (!titles.add(file.title())) {
                throw new IllegalArgumentException("two files are titled " + file.title());
            }
        }
        pushIfMissing(repository, EMPTY, BlobSource.of(EMPTY_CONTENT), progress);
        List<Descriptor> layers = new ArrayList<>();
        for (ArtifactFile file : files) {
            Descriptor layer = new Descriptor(file.mediaType(), BlobSource.sha256(file.content()),
                    file.content().size(), null, List.of(), Map.of(TITLE, file.title()));
            pushIfMissing(repository, layer, file.content(), progress);
            layers.add(layer);
        }
        if (layers.isEmpty()) {
            // The guidelines: an artifact without files still has one layer, the empty descriptor.
            layers.add(EMPTY);
        }
        Map<String, String> all = new LinkedHashMap<>(annotations);
        if (!all.containsKey(CREATED)) {
            all.put(CREATED, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        } else if (all.get(CREATED).isEmpty()) {
            all.remove(CREATED);
        }
        byte[] manifest = ImageManifestWriter.write(artifactType, EMPTY, layers,
                new Descriptor(subject.mediaType(), subject.digest(), subject.size()), all);
        return repository.pushReferrer(Digest.sha256(manifest).toString(), manifest, MediaTypes.OCI_MANIFEST);
    }

    /**
     * The artifacts that refer to {@code subject}, of {@code artifactType} (null for all; it filters the first level
     * only, so an SBOM's signatures show under it), each with its own referrers, down {@link #DEFAULT_DEPTH} levels.
     */
    public static ReferrerTree discover(Repository repository, Descriptor subject, String artifactType)
            throws IOException {
        return discover(repository, subject, artifactType, DEFAULT_DEPTH);
    }

    /** Like {@link #discover(Repository, Descriptor, String)}, down at most {@code depth} levels. */
    public static ReferrerTree discover(Repository repository, Descriptor subject, String artifactType, int depth)
            throws IOException {
        Set<Digest> path = new HashSet<>();
        path.add(subject.digest());
        return new ReferrerTree(subject, referrers(repository, subject.digest(), artifactType, depth, path));
    }

    private static List<ReferrerTree> referrers(Repository repository, Digest subject, String artifactType,
                                                int depth, Set<Digest> path) throws IOException {
        if (depth <= 0) {
            return List.of();
        }
        List<ReferrerTree> trees = new ArrayList<>();
        for (Descriptor referrer : repository.referrers(subject, artifactType).manifests()) {
            // A manifest cannot name its own referrer as subject (that digest would have to contain itself), but a
            // hand-written tag schema index can claim anything: a cycle is shown once and not followed.
            if (!path.add(referrer.digest())) {
                trees.add(new ReferrerTree(referrer, List.of()));
                continue;
            }
            trees.add(new ReferrerTree(referrer, referrers(repository, referrer.digest(), null, depth - 1, path)));
            path.remove(referrer.digest());
        }
        return trees;
    }

    private static void pushIfMissing(Repository repository, Descriptor blob, BlobSource content,
                                      ProgressListener progress) throws IOException {
        if (repository.hasBlob(blob.digest())) {
            progress.skipped(blob);
            return;
        }
        repository.pushBlob(blob, content, progress);
    }
}
