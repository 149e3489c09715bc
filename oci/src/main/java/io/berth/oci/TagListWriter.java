package io.berth.oci;

import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Writes a repository's tag list as the tags API answers it: {@code {"name":…,"tags":[…]}}. */
public final class TagListWriter {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TagListWriter() {
    }

    public static byte[] write(String repository, List<String> tags) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", repository);
        tags.forEach(root.putArray("tags")::add);
        return JSON.writeValueAsBytes(root);
    }
}
