package io.berth.registry.inventory;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import io.berth.registry.ErrorCode;
import io.berth.registry.Registry;
import io.berth.registry.RegistryException;
import io.berth.registry.blob.BlobContent;
import io.berth.registry.metadata.StoredManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One image as its page shows it: the listing's fields, the manifest, what its config says, its layers, the
 * platforms of an index with their manifests, and the tree of its referrers (a signature of an SBOM of the image is
 * a referrer of a referrer).
 */
public final class ImageDetails {
    /** Config blobs larger than this are not read for the summary. */
    private static final int MAX_CONFIG_BYTES = 1024 * 1024;
    /** How deep the referrer tree goes, and how many referrers it holds at most. */
    private static final int MAX_DEPTH = 8;
    private static final int MAX_REFERRERS = 1000;
    private static final Set<String> IMAGE_CONFIGS = Set.of("application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Registry registry;

    public ImageDetails(Registry registry) {
        this.registry = registry;
    }

    /**
     * An image, index, index child or referrer of the repository.
     *
     * @param referrerType only referrers of this artifact type in the tree (their own referrers are all listed);
     *                     null for all
     * @throws RegistryException MANIFEST_UNKNOWN when the repository holds no such manifest
     */
    public ImageDetail describe(String repository, Digest digest, String referrerType) {
        Registry.checkName(repository);
        ImageInfo info = registry.inventory().image(repository, digest).orElseThrow(() -> new RegistryException(
                ErrorCode.MANIFEST_UNKNOWN, "manifest " + digest + " is not in the repository"));
        StoredManifest stored = registry.manifest(repository, digest.toString());
        Manifest manifest = Manifest.parse(stored.payload(), stored.mediaType());
        ConfigSummary config = manifest.config() != null && IMAGE_CONFIGS.contains(manifest.config().mediaType())
                ? config(repository, manifest.config()) : null;
        List<Platform> platforms = new ArrayList<>();
        if (manifest.isIndex()) {
            for (JsonNode child : JSON.readTree(stored.payload()).path("manifests")) {
                Digest childDigest = Digest.parse(child.path("digest").asString());
                platforms.add(new Platform(Manifest.platform(child), childDigest,
                        child.path("mediaType").asString(null),
                        registry.inventory().image(repository, childDigest).orElse(null)));
            }
        }
        int[] budget = {MAX_REFERRERS};
        List<ReferrerNode> referrers = referrers(repository, digest, referrerType, 1, budget, new HashSet<>());
        return new ImageDetail(info, stored.payload(), manifest.annotations(), manifest.config(), config,
                manifest.layers(), platforms, referrers, budget[0] <= 0);
    }

    private List<ReferrerNode> referrers(String repository, Digest subject, String artifactType, int depth,
                                         int[] budget, Set<Digest> seen) {
        List<ReferrerNode> nodes = new ArrayList<>();
        if (depth > MAX_DEPTH || !seen.add(subject)) {
            return nodes;
        }
        for (ImageInfo referrer : registry.inventory().referrers(repository, subject)) {
            if (budget[0] <= 0) {
                break;
            }
            if (artifactType != null && !artifactType.equals(referrer.artifactType())) {
                continue;
            }
            budget[0]--;
            nodes.add(new ReferrerNode(referrer,
                    referrers(repository, referrer.digest(), null, depth + 1, budget, seen)));
        }
        return nodes;
    }

    /** What an image's config says; null when it cannot be read as one. */
    private ConfigSummary config(String repository, Descriptor descriptor) {
        if (descriptor.size() > MAX_CONFIG_BYTES) {
            return null;
        }
        JsonNode root;
        try {
            BlobContent blob = registry.openBlob(repository, descriptor.digest());
            try (InputStream in = blob.open(0, blob.size())) {
                root = JSON.readTree(in.readNBytes(MAX_CONFIG_BYTES));
            }
        } catch (RegistryException | JacksonException e) {
            return null; // not in the repository (a sparse push), or not JSON
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode settings = root.path("config");
        Map<String, String> labels = new LinkedHashMap<>();
        settings.path("Labels").properties().forEach(label -> labels.put(label.getKey(), label.getValue().asString("")));
        return new ConfigSummary(text(root, "os"), text(root, "architecture"), text(root, "variant"),
                text(root, "created"), labels, strings(settings.path("Entrypoint")), strings(settings.path("Cmd")));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isString() ? value.asString() : null;
    }

    private static List<String> strings(JsonNode array) {
        List<String> result = new ArrayList<>();
        array.forEach(item -> result.add(item.asString("")));
        return result;
    }

    /**
     * @param manifest      the manifest's bytes, as pushed
     * @param config        null for an index
     * @param configSummary null when the config is no image config (an artifact's), or could not be read
     * @param platforms     an index's children in its order; empty for other manifests
     * @param truncated     the referrer tree stopped at its limit
     */
    public record ImageDetail(ImageInfo image, byte[] manifest, Map<String, String> annotations, Descriptor config,
                              ConfigSummary configSummary, List<Descriptor> layers, List<Platform> platforms,
                              List<ReferrerNode> referrers, boolean truncated) {
    }

    /** What an image's config says about it; fields it does not set are null or empty. */
    public record ConfigSummary(String os, String architecture, String variant, String created,
                                Map<String, String> labels, List<String> entrypoint, List<String> cmd) {
    }

    /**
     * A child of an index.
     *
     * @param platform {@code os/architecture[/variant]}, null when the index names none
     * @param manifest null when the repository does not hold the child (a sparse index)
     */
    public record Platform(String platform, Digest digest, String mediaType, ImageInfo manifest) {
    }

    /** A referrer with its own referrers. */
    public record ReferrerNode(ImageInfo referrer, List<ReferrerNode> referrers) {
    }
}
