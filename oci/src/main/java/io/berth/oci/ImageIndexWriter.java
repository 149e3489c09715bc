package io.berth.oci;

import java.util.List;
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
            DescriptorJson.write(descriptor, array.addObject());
        }
        return JSON.writeValueAsBytes(root);
    }
}
