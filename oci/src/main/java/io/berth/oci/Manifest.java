package io.berth.oci;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A parsed and validated manifest: an OCI image manifest, an OCI image index, a Docker v2 schema 2 manifest or a
 * Docker manifest list. The exact pushed bytes stay the source of truth; this is what the registry needs to know
 * about them.
 *
 * @param mediaType    the manifest's media type
 * @param artifactType the {@code artifactType} field, else the config media type (image manifests); null if neither
 * @param config       null for indexes
 * @param layers       empty for indexes
 * @param children     the manifests an index lists; empty for image manifests
 * @param subject      null when the manifest refers to nothing
 * @param platforms    for an index, the platforms its children name ({@code os/architecture[/variant]}), in order,
 *                     each once; empty for image manifests
 */
public record Manifest(String mediaType, String artifactType, Descriptor config, List<Descriptor> layers,
                       List<Descriptor> children, Descriptor subject, Map<String, String> annotations,
                       List<String> platforms) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public Manifest {
        layers = List.copyOf(layers);
        children = List.copyOf(children);
        annotations = Map.copyOf(annotations);
        platforms = List.copyOf(platforms);
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(mediaType);
    }

    /**
     * Parses manifest bytes pushed with the given {@code Content-Type} (null when the client sent none).
     *
     * @throws InvalidManifestException when the bytes are not a valid manifest of a supported type
     */
    public static Manifest parse(byte[] bytes, String contentType) {
        String text = utf8Text(bytes);
        try {
            return parseTree(text, contentType);
        } catch (JacksonException e) {
            // Values the tree cannot convert (numbers out of range and the like) are invalid input, not a fault.
            throw new InvalidManifestException("manifest holds an invalid value");
        }
    }

    /**
     * The manifest as text. RFC 8259 section 8.1: JSON exchanged between systems is UTF-8 and carries no byte order
     * mark. Given bytes, Jackson would detect UTF-16 and UTF-32 (by a mark, or by the zero bytes of ASCII in them) and
     * let some invalid UTF-8 through (overlong forms); a manifest stored that way is read differently, or not at all,
     * by the clients that pull it. JSON text never holds a zero byte: control characters in strings are escaped.
     */
    private static String utf8Text(byte[] bytes) {
        if (bytes.length >= 2 && ((bytes[0] == (byte) 0xfe && bytes[1] == (byte) 0xff)
                || (bytes[0] == (byte) 0xff && bytes[1] == (byte) 0xfe))) {
            throw new InvalidManifestException("manifest must be UTF-8 JSON text, not UTF-16 or UTF-32");
        }
        if (bytes.length >= 3 && bytes[0] == (byte) 0xef && bytes[1] == (byte) 0xbb && bytes[2] == (byte) 0xbf) {
            throw new InvalidManifestException("manifest must be UTF-8 JSON text without a byte order mark");
        }
        for (byte b : bytes) {
            if (b == 0) {
                throw new InvalidManifestException("manifest must be UTF-8 JSON text: it holds a zero byte");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidManifestException("manifest must be UTF-8 JSON text: it holds bytes that are not UTF-8");
        }
    }

    private static Manifest parseTree(String text, String contentType) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new InvalidManifestException("manifest is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidManifestException("manifest must be a JSON object");
        }
        String mediaType = mediaTypeOf(root, contentType);
        JsonNode schemaVersion = root.get("schemaVersion");
        if (schemaVersion == null || !schemaVersion.isIntegralNumber() || !schemaVersion.canConvertToInt()
                || schemaVersion.asInt() != 2) {
            throw new InvalidManifestException("schemaVersion must be 2");
        }
        String artifactType = optionalString(root, "artifactType");
        Descriptor subject = root.has("subject") && !root.get("subject").isNull()
                ? descriptor(root.get("subject"), "subject") : null;
        Map<String, String> annotations = stringMap(root.get("annotations"), "annotations");
        if (MediaTypes.isIndex(mediaType)) {
            if (root.has("config") || root.has("layers")) {
                throw new InvalidManifestException("an index must not have config or layers");
            }
            List<Descriptor> children = descriptors(root, "manifests", true);
            return new Manifest(mediaType, artifactType, null, List.of(), children, subject, annotations,
                    platforms(root.get("manifests")));
        }
        if (root.has("manifests")) {
            throw new InvalidManifestException("an image manifest must not have manifests");
        }
        if (!root.has("config")) {
            throw new InvalidManifestException("config is required");
        }
        Descriptor config = descriptor(root.get("config"), "config");
        List<Descriptor> layers = descriptors(root, "layers", true);
        if (MediaTypes.DOCKER_MANIFEST.equals(mediaType) && (artifactType != null || subject != null)) {
            throw new InvalidManifestException("Docker schema 2 manifests carry neither artifactType nor subject");
        }
        String effectiveType = artifactType != null ? artifactType : config.mediaType();
        return new Manifest(mediaType, effectiveType, config, layers, List.of(), subject, annotations, List.of());
    }

    private static String mediaTypeOf(JsonNode root, String contentType) {
        String declared = optionalString(root, "mediaType");
        String header = contentType == null ? null : stripParameters(contentType);
        if (MediaTypes.DOCKER_SCHEMA1.equals(declared) || MediaTypes.DOCKER_SCHEMA1_SIGNED.equals(header)
                || MediaTypes.DOCKER_SCHEMA1.equals(header)
                || (root.path("schemaVersion").isIntegralNumber() && root.path("schemaVersion").canConvertToInt()
                        && root.get("schemaVersion").asInt() == 1)) {
            throw new InvalidManifestException("Docker schema 1 manifests are not supported");
        }
        if (declared != null) {
            if (!MediaTypes.MANIFESTS.contains(declared)) {
                throw new InvalidManifestException("unsupported manifest media type " + declared);
            }
            if (header != null && MediaTypes.MANIFESTS.contains(header) && !header.equals(declared)) {
                throw new InvalidManifestException(
                        "mediaType " + declared + " does not match Content-Type " + header);
            }
            return declared;
        }
        if (header != null && MediaTypes.MANIFESTS.contains(header)) {
            if (header.startsWith("application/vnd.docker.")) {
                throw new InvalidManifestException("mediaType is required for " + header);
            }
            return header;
        }
        // An OCI manifest without mediaType and without a recognised Content-Type: infer from its shape.
        return root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }

    private static String stripParameters(String contentType) {
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return type.isEmpty() ? null : type;
    }

    private static List<Descriptor> descriptors(JsonNode root, String field, boolean required) {
        JsonNode array = root.get(field);
        if (array == null || array.isNull()) {
            if (required) {
                throw new InvalidManifestException(field + " is required");
            }
            return List.of();
        }
        if (!array.isArray()) {
            throw new InvalidManifestException(field + " must be an array");
        }
        List<Descriptor> result = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            result.add(descriptor(array.get(i), field + "[" + i + "]"));
        }
        return result;
    }

    /** The {@code os/architecture[/variant]} of each child that names a platform, each once. */
    private static List<String> platforms(JsonNode children) {
        Set<String> platforms = new LinkedHashSet<>();
        for (JsonNode child : children) {
            String platform = platform(child);
            if (platform != null) {
                platforms.add(platform);
            }
        }
        return List.copyOf(platforms);
    }

    /** The {@code os/architecture[/variant]} an index's entry for a child names; null when it names none. */
    public static String platform(JsonNode child) {
        JsonNode platform = child.get("platform");
        if (platform == null || !platform.isObject() || !platform.path("os").isString()
                || !platform.path("architecture").isString()) {
            return null;
        }
        String variant = platform.path("variant").isString() ? "/" + platform.get("variant").asString() : "";
        return platform.get("os").asString() + "/" + platform.get("architecture").asString() + variant;
    }

    private static Descriptor descriptor(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new InvalidManifestException(where + " must be a descriptor object");
        }
        String mediaType = optionalString(node, "mediaType");
        if (mediaType == null || mediaType.isEmpty()) {
            throw new InvalidManifestException(where + ".mediaType is required");
        }
        String digestText = optionalString(node, "digest");
        if (digestText == null) {
            throw new InvalidManifestException(where + ".digest is required");
        }
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (InvalidDigestException e) {
            throw new InvalidManifestException(where + ".digest: " + e.getMessage());
        }
        JsonNode size = node.get("size");
        if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
            throw new InvalidManifestException(where + ".size must be a non-negative integer");
        }
        List<String> urls = new ArrayList<>();
        JsonNode urlsNode = node.get("urls");
        if (urlsNode != null && !urlsNode.isNull()) {
            if (!urlsNode.isArray()) {
                throw new InvalidManifestException(where + ".urls must be an array");
            }
            for (JsonNode url : urlsNode) {
                if (!url.isString()) {
                    throw new InvalidManifestException(where + ".urls must hold strings");
                }
                urls.add(url.asString());
            }
        }
        return new Descriptor(mediaType, digest, size.asLong(), optionalString(node, "artifactType"), urls,
                stringMap(node.get("annotations"), where + ".annotations"));
    }

    private static String optionalString(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw new InvalidManifestException(field + " must be a string");
        }
        return value.asString();
    }

    private static Map<String, String> stringMap(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new InvalidManifestException(where + " must be an object of strings");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isString()) {
                throw new InvalidManifestException(where + " must be an object of strings");
            }
            map.put(entry.getKey(), entry.getValue().asString());
        }
        return map;
    }
}
