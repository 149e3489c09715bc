package io.berth.server.http;

import io.berth.oci.Descriptor;
import io.berth.registry.Page;
import io.berth.registry.Quotas;
import io.berth.registry.inventory.ImageDetails;
import io.berth.registry.inventory.ImageInfo;
import io.berth.registry.inventory.RegistryUsage;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.inventory.TagInfo;
import io.berth.registry.inventory.Usage;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.List;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The management API's answers as JSON, as {@code openapi.json} describes them. Times are RFC 3339 in UTC, sizes in
 * bytes; a field with nothing to say is null. A page carries {@code next}: the cursor of the next page, or null.
 */
final class ManagementJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ManagementJson() {
    }

    static byte[] repositories(List<RepositoryInfo> repositories, Quotas quotas, String next) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("repositories");
        repositories.forEach(repository -> list.add(repositoryNode(repository, quotas)));
        body.put("next", next);
        return JSON.writeValueAsBytes(body);
    }

    static byte[] repository(RepositoryInfo repository, Quotas quotas) {
        return JSON.writeValueAsBytes(repositoryNode(repository, quotas));
    }

    private static ObjectNode repositoryNode(RepositoryInfo repository, Quotas quotas) {
        ObjectNode node = JSON.createObjectNode();
        node.put("name", repository.name());
        node.put("imageCount", repository.images());
        node.put("tagCount", repository.tags());
        node.put("referrerCount", repository.referrers());
        node.put("sizeBytes", repository.sizeBytes());
        node.put("createdAt", time(repository.createdAt()));
        node.put("lastPushedAt", time(repository.lastPushedAt()));
        node.put("lastPulledAt", time(repository.lastPulledAt()));
        ArrayNode limits = node.putArray("quotas");
        for (Quotas.Quota quota : quotas.of(repository.name())) {
            limits.addObject().put("name", quota.name()).put("maxBytes", quota.maxBytes())
                    .put("maxImages", quota.maxImages());
        }
        return node;
    }

    /** A page of images, written as it goes (no tree): the most read listing of a large repository. */
    static byte[] images(Page<ImageInfo> page) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 480 * page.items().size());
        try (JsonGenerator out = JSON.createGenerator(bytes)) {
            out.writeStartObject();
            out.writeName("images");
            out.writeStartArray();
            for (ImageInfo image : page.items()) {
                out.writeStartObject();
                out.writeStringProperty("digest", image.digest().toString());
                out.writeStringProperty("mediaType", image.mediaType());
                out.writeStringProperty("artifactType", image.artifactType());
                out.writeStringProperty("subjectDigest", image.subject() == null ? null : image.subject().toString());
                writeStrings(out, "tags", image.tags());
                out.writeNumberProperty("manifestSizeBytes", image.manifestSize());
                out.writeNumberProperty("sizeBytes", image.sizeBytes());
                writeStrings(out, "platforms", image.platforms());
                out.writeStringProperty("pushedAt", time(image.pushedAt()));
                out.writeStringProperty("lastPulledAt", time(image.lastPulledAt()));
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeStringProperty("next", page.last());
            out.writeEndObject();
        }
        return bytes.toByteArray();
    }

    private static void writeStrings(JsonGenerator out, String name, List<String> values) {
        out.writeName(name);
        out.writeStartArray();
        for (String value : values) {
            out.writeString(value);
        }
        out.writeEndArray();
    }

    private static ObjectNode imageNode(ImageInfo image) {
        ObjectNode node = JSON.createObjectNode();
        node.put("digest", image.digest().toString());
        node.put("mediaType", image.mediaType());
        node.put("artifactType", image.artifactType());
        node.put("subjectDigest", image.subject() == null ? null : image.subject().toString());
        image.tags().forEach(node.putArray("tags")::add);
        node.put("manifestSizeBytes", image.manifestSize());
        node.put("sizeBytes", image.sizeBytes());
        image.platforms().forEach(node.putArray("platforms")::add);
        node.put("pushedAt", time(image.pushedAt()));
        node.put("lastPulledAt", time(image.lastPulledAt()));
        return node;
    }

    static byte[] image(ImageDetails.ImageDetail detail) {
        ObjectNode node = imageNode(detail.image());
        node.set("manifest", JSON.readTree(detail.manifest()));
        ObjectNode annotations = node.putObject("annotations");
        detail.annotations().forEach(annotations::put);
        if (detail.config() != null) {
            ObjectNode config = descriptor(detail.config());
            ImageDetails.ConfigSummary summary = detail.configSummary();
            if (summary != null) {
                config.put("os", summary.os());
                config.put("architecture", summary.architecture());
                config.put("variant", summary.variant());
                config.put("created", summary.created());
                ObjectNode labels = config.putObject("labels");
                summary.labels().forEach(labels::put);
                summary.entrypoint().forEach(config.putArray("entrypoint")::add);
                summary.cmd().forEach(config.putArray("cmd")::add);
            }
            node.set("config", config);
        } else {
            node.putNull("config");
        }
        ArrayNode layers = node.putArray("layers");
        detail.layers().forEach(layer -> layers.add(descriptor(layer)));
        ArrayNode platforms = node.putArray("children");
        for (ImageDetails.Platform platform : detail.platforms()) {
            ObjectNode child = platforms.addObject();
            child.put("platform", platform.platform());
            child.put("digest", platform.digest().toString());
            child.put("mediaType", platform.mediaType());
            child.put("sizeBytes", platform.manifest() == null ? null : platform.manifest().sizeBytes());
        }
        node.set("referrers", referrers(detail.referrers()));
        node.put("referrersTruncated", detail.truncated());
        return JSON.writeValueAsBytes(node);
    }

    private static ArrayNode referrers(List<ImageDetails.ReferrerNode> referrers) {
        ArrayNode list = JSON.createArrayNode();
        for (ImageDetails.ReferrerNode referrer : referrers) {
            ObjectNode node = imageNode(referrer.referrer());
            node.set("referrers", referrers(referrer.referrers()));
            list.add(node);
        }
        return list;
    }

    private static ObjectNode descriptor(Descriptor descriptor) {
        ObjectNode node = JSON.createObjectNode();
        node.put("mediaType", descriptor.mediaType());
        node.put("digest", descriptor.digest().toString());
        node.put("sizeBytes", descriptor.size());
        return node;
    }

    static byte[] tags(Page<TagInfo> page) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("tags");
        for (TagInfo tag : page.items()) {
            list.addObject().put("name", tag.name()).put("digest", tag.digest().toString())
                    .put("updatedAt", time(tag.updatedAt()));
        }
        body.put("next", page.last());
        return JSON.writeValueAsBytes(body);
    }

    static byte[] usage(String namespace, Usage usage, RegistryUsage registry) {
        ObjectNode body = JSON.createObjectNode();
        body.put("namespace", namespace);
        body.put("repositories", usage.repositories());
        body.put("sizeBytes", usage.sizeBytes());
        body.put("blobBytes", usage.blobBytes());
        body.put("manifestBytes", usage.manifestBytes());
        if (registry == null) {
            body.putNull("registry");
        } else {
            body.putObject("registry")
                    .put("repositories", registry.repositories())
                    .put("blobs", registry.blobs())
                    .put("blobBytes", registry.blobBytes())
                    .put("manifests", registry.manifests())
                    .put("manifestBytes", registry.manifestBytes())
                    .put("unreferencedBlobs", registry.unreferencedBlobs())
                    .put("unreferencedBytes", registry.unreferencedBytes());
        }
        return JSON.writeValueAsBytes(body);
    }

    private static String time(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
