package io.berth.oci;

import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Writes OCI image indexes, as the referrers API answers them. */
public final class ImageIndexWriter {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ImageIndexWriter() {
    }

    public static byte[] write(List<Descriptor> manifests) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode array = root.putArray("manifests");
        for (Descriptor descriptor : manifests) {
            ObjectNode node = array.addObject();
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
                for (Map.Entry<String, String> entry : descriptor.annotations().entrySet()) {
                    annotations.put(entry.getKey(), entry.getValue());
                }
            }
        }
        return JSON.writeValueAsBytes(root);
    }
}
