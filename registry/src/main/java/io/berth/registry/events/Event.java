package io.berth.registry.events;

import io.berth.oci.Digest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.List;

/**
 * One recorded change, as the metadata store keeps it in its outbox, in the transaction of the change itself. Fields
 * a kind of change does not have are null (or empty lists).
 *
 * @param id         the position in the outbox, in commit order; 0 until stored. Stable: a redelivery carries the
 *                   same id
 * @param repository null for {@link EventType#BLOB_COLLECTED}
 * @param digest     the manifest or blob; for tag events, the manifest the tag points to (deleted: pointed to)
 * @param tag        the tag of a tag event
 * @param tags       for a push, the tags it set; for a manifest deletion, the tags that went with it
 * @param previous   for {@link EventType#TAG_UPDATED}, the manifest the tag pointed to before; null for a new tag
 * @param subject    a referrer's subject
 * @param size       bytes of the manifest or blob
 * @param platforms  for an index, the platforms of its children ({@code os/architecture[/variant]})
 * @param pulls      for {@link EventType#IMAGE_PULLED}, how many pulls it counts
 * @param node       the Berth process that made the change
 */
public record Event(long id, EventType type, Instant time, String repository, Digest digest, String tag,
                    List<String> tags, Digest previous, String mediaType, String artifactType, Digest subject,
                    Long size, List<String> platforms, Long pulls, Actor actor, String node) {
    /** This process's name in events: {@code BERTH_NODE}, else the host name. */
    public static final String NODE = nodeName();

    public Event {
        tags = List.copyOf(tags);
        platforms = List.copyOf(platforms);
    }

    /** A manifest pushed or deleted, by the current actor. */
    public static Event manifest(EventType type, String repository, Digest digest, String mediaType,
                                 String artifactType, Digest subject, long size, List<String> tags,
                                 List<String> platforms) {
        return new Event(0, type, Instant.now(), repository, digest, null, tags, null, mediaType, artifactType,
                subject, size, platforms, null, Actor.current(), NODE);
    }

    /** A tag created, moved ({@code previous} set) or deleted, by the current actor. */
    public static Event tag(EventType type, String repository, String tag, Digest digest, Digest previous) {
        return new Event(0, type, Instant.now(), repository, digest, tag, List.of(), previous, null, null, null,
                null, List.of(), null, Actor.current(), NODE);
    }

    /** A blob unlinked from a repository or, with a null repository, collected; by the current actor. */
    public static Event blob(EventType type, String repository, Digest digest, long size) {
        return new Event(0, type, Instant.now(), repository, digest, null, List.of(), null, null, null, null, size,
                List.of(), null, Actor.current(), NODE);
    }

    /** A repository created or deleted, by the current actor. */
    public static Event repository(EventType type, String repository) {
        return new Event(0, type, Instant.now(), repository, null, null, List.of(), null, null, null, null, null,
                List.of(), null, Actor.current(), NODE);
    }

    /** Pulls of a manifest, counted since the last such event, by whoever pulled (the actor is the system). */
    public static Event pulled(String repository, Digest digest, String mediaType, long size, long pulls) {
        return new Event(0, EventType.IMAGE_PULLED, Instant.now(), repository, digest, null, List.of(), null,
                mediaType, null, null, size, List.of(), pulls, Actor.system("berth", "pulls"), NODE);
    }

    /** This event as stored, at its position in the outbox. */
    public Event withId(long position) {
        return new Event(position, type, time, repository, digest, tag, tags, previous, mediaType, artifactType,
                subject, size, platforms, pulls, actor, node);
    }

    private static String nodeName() {
        String configured = System.getenv("BERTH_NODE");
        if (configured != null && !configured.isBlank()) {
            return configured.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "berth";
        }
    }
}
