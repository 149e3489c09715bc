package io.berth.oci;

import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** A descriptor as manifests and indexes write it: the fields it has, in the spec's order. */
final class DescriptorJson {
    private DescriptorJson() {
    }

    static ObjectNode write(Descriptor descriptor, ObjectNode node) {
        node.put("mediaType", descriptor.mediaType());
        node.put("digest", descriptor.digest().toString());
        node.put("size", descriptor.size());
        if (descriptor.artifactType() != null) {
            node.put("artifactType", descriptor.artifactType());
        }
        if (!descriptor.urls().isEmpty()) {
            ArrayNode urls = node.putArray("urls");
            descriptor.urls().forEach(urls::add);
        }
        if (!descriptor.annotations().isEmpty()) {
            ObjectNode annotations = node.putObject("annotations");
            descriptor.annotations().forEach(annotations::put);
        }
        return node;
    }
}
