package io.berth.oci;

import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Writes OCI image manifests, as artifacts attached to an image are pushed. */
public final class ImageManifestWriter {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ImageManifestWriter() {
    }

    /**
     * @param artifactType null for none
     * @param subject      null for none
     */
    public static byte[] write(String artifactType, Descriptor config, List<Descriptor> layers, Descriptor subject,
                               Map<String, String> annotations) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.OCI_MANIFEST);
        if (artifactType != null) {
            root.put("artifactType", artifactType);
        }
        root.set("config", DescriptorJson.write(config, JSON.createObjectNode()));
        ArrayNode array = root.putArray("layers");
        layers.forEach(layer -> DescriptorJson.write(layer, array.addObject()));
        if (subject != null) {
            root.set("subject", DescriptorJson.write(subject, JSON.createObjectNode()));
        }
        if (!annotations.isEmpty()) {
            ObjectNode node = root.putObject("annotations");
            annotations.forEach(node::put);
        }
        return JSON.writeValueAsBytes(root);
    }
}
