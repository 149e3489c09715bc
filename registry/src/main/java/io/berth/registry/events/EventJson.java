package io.berth.registry.events;

import io.berth.oci.Digest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An event's data as JSON: what the outbox stores, and the {@code data} of the CloudEvents Berth sends. Absent
 * fields are left out. Its schema is in {@code docs/events.md}.
 */
public final class EventJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private EventJson() {
    }

    /** The data object of the event: everything but its id, type and time. */
    public static ObjectNode data(Event event) {
        ObjectNode data = JSON.createObjectNode();
        putIfSet(data, "repository", event.repository());
        putIfSet(data, "digest", event.digest());
        putIfSet(data, "tag", event.tag());
        if (!event.tags().isEmpty()) {
            event.tags().forEach(data.putArray("tags")::add);
        }
        putIfSet(data, "previousDigest", event.previous());
        putIfSet(data, "mediaType", event.mediaType());
        putIfSet(data, "artifactType", event.artifactType());
        putIfSet(data, "subjectDigest", event.subject());
        if (event.size() != null) {
            data.put("size", event.size());
        }
        if (!event.platforms().isEmpty()) {
            event.platforms().forEach(data.putArray("platforms")::add);
        }
        if (event.pulls() != null) {
            data.put("pulls", event.pulls());
        }
        ObjectNode actor = data.putObject("actor");
        actor.put("kind", event.actor().kind().wireName());
        actor.put("name", event.actor().name());
        putIfSet(actor, "source", event.actor().source());
        putIfSet(data, "requestId", event.actor().requestId());
        data.put("node", event.node());
        return data;
    }

    /** The event stored at {@code id} with its type, time and {@link #data} text. */
    public static Event parse(long id, EventType type, Instant time, String dataText) {
        JsonNode data = JSON.readTree(dataText);
        JsonNode actor = data.path("actor");
        return new Event(id, type, time, text(data, "repository"), digest(data, "digest"), text(data, "tag"),
                strings(data.path("tags")), digest(data, "previousDigest"), text(data, "mediaType"),
                text(data, "artifactType"), digest(data, "subjectDigest"),
                data.has("size") ? data.get("size").asLong() : null, strings(data.path("platforms")),
                data.has("pulls") ? data.get("pulls").asLong() : null,
                new Actor(Actor.Kind.of(actor.path("kind").asString("system")), actor.path("name").asString("berth"),
                        text(actor, "source"), text(data, "requestId")),
                data.path("node").asString(""));
    }

    private static void putIfSet(ObjectNode node, String field, Object value) {
        if (value != null) {
            node.put(field, value.toString());
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asString();
    }

    private static Digest digest(JsonNode node, String field) {
        String text = text(node, field);
        return text == null ? null : Digest.parse(text);
    }

    private static List<String> strings(JsonNode array) {
        List<String> result = new ArrayList<>();
        array.forEach(item -> result.add(item.asString()));
        return result;
    }
}
