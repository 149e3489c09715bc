package io.berth.oci;

import java.util.List;
import java.util.Map;

/**
 * An OCI content descriptor: what a manifest says about a blob or another manifest.
 *
 * @param artifactType null when absent
 * @param urls         empty when absent
 * @param annotations  empty when absent
 */
public record Descriptor(String mediaType, Digest digest, long size, String artifactType,
                         List<String> urls, Map<String, String> annotations) {

    public Descriptor {
        urls = List.copyOf(urls);
        annotations = Map.copyOf(annotations);
    }

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest, size, null, List.of(), Map.of());
    }
}
