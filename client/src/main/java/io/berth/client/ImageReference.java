package io.berth.client;

import io.berth.oci.Digest;
import io.berth.oci.InvalidDigestException;
import io.berth.oci.Names;

/**
 * What a user names an image by: {@code [registry/]repository[:tag][@digest]}, as docker, skopeo and oras read it.
 * A name whose first part has no dot, colon or {@code localhost} is on Docker Hub, where a one-part name lives under
 * {@code library/}.
 *
 * @param registry   the registry's host and optional port, as written ({@code docker.io} for Docker Hub)
 * @param repository the repository name
 * @param tag        null when the reference names none
 * @param digest     null when the reference names none
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
    public static final String DOCKER_HUB = "docker.io";

    public ImageReference {
        if (registry == null || registry.isEmpty()) {
            throw new IllegalArgumentException("a reference needs a registry");
        }
        if (!Names.isValidRepository(repository)) {
            throw new IllegalArgumentException("invalid repository name: " + repository);
        }
        if (tag != null && !Names.isValidTag(tag)) {
            throw new IllegalArgumentException("invalid tag: " + tag);
        }
    }

    /** Parses a reference; a reference with neither tag nor digest keeps both null (see {@link #orLatest()}). */
    public static ImageReference parse(String text) {
        String rest = text;
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            try {
                digest = Digest.parse(rest.substring(at + 1));
            } catch (InvalidDigestException e) {
                throw new IllegalArgumentException("invalid digest in " + text + ": " + e.getMessage());
            }
            rest = rest.substring(0, at);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0 && isRegistryHost(rest.substring(0, slash))) {
            registry = rest.substring(0, slash);
            rest = rest.substring(slash + 1);
        }
        if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        return new ImageReference(registry, rest, tag, digest);
    }

    private static boolean isRegistryHost(String part) {
        return part.contains(".") || part.contains(":") || part.equals("localhost")
                || !part.equals(part.toLowerCase(java.util.Locale.ROOT));
    }

    /** The same image by tag {@code latest} when this reference names neither a tag nor a digest. */
    public ImageReference orLatest() {
        return tag == null && digest == null ? withTag("latest") : this;
    }

    public ImageReference withTag(String newTag) {
        return new ImageReference(registry, repository, newTag, null);
    }

    public ImageReference withDigest(Digest newDigest) {
        return new ImageReference(registry, repository, null, newDigest);
    }

    /** What goes in a manifest URL: the digest when there is one, else the tag ({@code latest} when neither). */
    public String reference() {
        if (digest != null) {
            return digest.toString();
        }
        return tag == null ? "latest" : tag;
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }
}
