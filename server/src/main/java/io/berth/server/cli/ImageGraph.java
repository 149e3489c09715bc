package io.berth.server.cli;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.InvalidManifestException;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Everything an image (or an index of images) is made of: its manifests, children before the index that lists them,
 * which is the order a registry accepts them in, and the blobs they reference, each once.
 *
 * @param manifests the manifests, children first, the top one last
 * @param blobs     configs and layers, each once, without the non-distributable layers registries do not hold
 */
record ImageGraph(List<Node> manifests, List<Descriptor> blobs) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One manifest: the descriptor it was reached by, its exact bytes and what they say. */
    record Node(Descriptor descriptor, byte[] bytes, Manifest manifest) {
    }

    /** Where manifests are read from: a layout, a registry. */
    @FunctionalInterface
    interface ManifestReader {
        byte[] read(Descriptor descriptor) throws IOException;
    }

    ImageGraph {
        manifests = List.copyOf(manifests);
        blobs = List.copyOf(blobs);
    }

    Node top() {
        return manifests.getLast();
    }

    /** Reads the manifest {@code top} names and, for an index, its children, recursively. */
    static ImageGraph walk(Descriptor top, ManifestReader reader) throws IOException {
        Map<Digest, Node> manifests = new LinkedHashMap<>();
        Map<Digest, Descriptor> blobs = new LinkedHashMap<>();
        visit(top, reader, manifests, blobs);
        return new ImageGraph(new ArrayList<>(manifests.values()), new ArrayList<>(blobs.values()));
    }

    private static void visit(Descriptor descriptor, ManifestReader reader, Map<Digest, Node> manifests,
                              Map<Digest, Descriptor> blobs) throws IOException {
        if (manifests.containsKey(descriptor.digest())) {
            return;
        }
        byte[] bytes = reader.read(descriptor);
        Manifest manifest;
        try {
            manifest = Manifest.parse(bytes, descriptor.mediaType());
        } catch (InvalidManifestException e) {
            // Bad content, not a bad command line: a failure (exit 1), not a usage error.
            throw new IOException("manifest " + descriptor.digest() + " is not valid: " + e.getMessage(), e);
        }
        for (Descriptor child : manifest.children()) {
            visit(child, reader, manifests, blobs);
        }
        if (manifest.config() != null) {
            blobs.putIfAbsent(manifest.config().digest(), manifest.config());
        }
        for (Descriptor layer : manifest.layers()) {
            if (!MediaTypes.isNonDistributable(layer.mediaType())) {
                blobs.putIfAbsent(layer.digest(), layer);
            }
        }
        Descriptor exact = new Descriptor(manifest.mediaType(), descriptor.digest(), bytes.length,
                descriptor.artifactType(), descriptor.urls(), descriptor.annotations());
        manifests.put(descriptor.digest(), new Node(exact, bytes, manifest));
    }

    /**
     * The platform ({@code os/architecture[/variant]}) each entry of an index names, in the index's order; null for an
     * entry that names none.
     */
    static List<String> childPlatforms(byte[] index) {
        List<String> platforms = new ArrayList<>();
        for (JsonNode child : JSON.readTree(index).path("manifests")) {
            platforms.add(Manifest.platform(child));
        }
        return platforms;
    }
}
