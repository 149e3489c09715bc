package io.berth.registry.events;

import io.berth.oci.Digest;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An event's data as JSON: what the outbox stores, and the {@code data} of the CloudEvents Berth sends. Absent
 * fields are left out. Its schema is in {@code docs/events.md}.
 */
public final class EventJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private EventJson() {
    }

    /** The data object of the event as JSON text: everything but its id, type and time. */
    public static String text(Event event) {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator out = JSON.createGenerator(text)) {
            write(out, event);
        }
        return text.toString();
    }

    /** Writes the data object of the event: everything but its id, type and time. */
    public static void write(JsonGenerator out, Event event) {
        out.writeStartObject();
        stringIfSet(out, "repository", event.repository());
        stringIfSet(out, "digest", event.digest());
        stringIfSet(out, "tag", event.tag());
        strings(out, "tags", event.tags());
        stringIfSet(out, "previousDigest", event.previous());
        stringIfSet(out, "mediaType", event.mediaType());
        stringIfSet(out, "artifactType", event.artifactType());
        stringIfSet(out, "subjectDigest", event.subject());
        if (event.size() != null) {
            out.writeNumberProperty("size", event.size());
        }
        strings(out, "platforms", event.platforms());
        if (event.pulls() != null) {
            out.writeNumberProperty("pulls", event.pulls());
        }
        out.writeObjectPropertyStart("actor");
        out.writeStringProperty("kind", event.actor().kind().wireName());
        out.writeStringProperty("name", event.actor().name());
        stringIfSet(out, "source", event.actor().source());
        out.writeEndObject();
        stringIfSet(out, "requestId", event.actor().requestId());
        out.writeStringProperty("node", event.node());
        out.writeEndObject();
    }

    /** The event stored at {@code id} with its type, time and {@link #text}. */
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

    private static void stringIfSet(JsonGenerator out, String field, Object value) {
        if (value != null) {
            out.writeStringProperty(field, value.toString());
        }
    }

    private static void strings(JsonGenerator out, String field, List<String> values) {
        if (!values.isEmpty()) {
            out.writeArrayPropertyStart(field);
            for (String value : values) {
                out.writeString(value);
            }
            out.writeEndArray();
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
