package io.berth.registry.events;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of change Berth records, with their CloudEvents {@code type}. */
public enum EventType {
    /** An image manifest or an index was pushed (also again, with the same bytes). */
    IMAGE_PUSHED("io.berth.image.pushed"),
    IMAGE_DELETED("io.berth.image.deleted"),
    /** A manifest with a {@code subject} (a signature, SBOM, attestation) was pushed. */
    REFERRER_PUSHED("io.berth.referrer.pushed"),
    REFERRER_DELETED("io.berth.referrer.deleted"),
    /** A tag was created or moved to another manifest. */
    TAG_UPDATED("io.berth.tag.updated"),
    TAG_DELETED("io.berth.tag.deleted"),
    REPOSITORY_CREATED("io.berth.repository.created"),
    REPOSITORY_DELETED("io.berth.repository.deleted"),
    /** A repository stopped serving a blob: deleted through the API, or its unreferenced link collected. */
    BLOB_DELETED("io.berth.blob.deleted"),
    /** Garbage collection removed a blob no repository served any more: its bytes are gone from storage. */
    BLOB_COLLECTED("io.berth.blob.collected"),
    /** A manifest was pulled; recorded only when switched on, one event per manifest per batch of pulls written. */
    IMAGE_PULLED("io.berth.image.pulled");

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<EventType> of(String wireName) {
        return Arrays.stream(values()).filter(type -> type.wireName.equals(wireName)).findFirst();
    }
}
