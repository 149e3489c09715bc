package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.registry.events.EndpointCursor;
import io.berth.registry.events.Event;
import io.berth.server.events.EventFormat;
import io.berth.server.events.Notifier;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.eclipse.jetty.util.Fields;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The outbox through the admin API: {@code GET /admin/events?after=ID&limit=N} (a pull feed of CloudEvents, in
 * commit order), {@code GET /admin/notifications} (each endpoint's cursor, lag and errors) and
 * {@code POST /admin/notifications/NAME/replay?from=ID|since=TIME} (deliver again from there).
 */
final class EventsAdmin {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;

    private final Notifier notifier;

    EventsAdmin(Notifier notifier) {
        this.notifier = notifier;
    }

    /** {@code GET /admin/events?after=ID&limit=N}. */
    void feed(Exchange exchange) {
        Fields query = exchange.query();
        long after = number(query.getValue("after"), "after", 0);
        long limit = number(query.getValue("limit"), "limit", DEFAULT_LIMIT);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "limit must be between 1 and " + MAX_LIMIT);
        }
        List<Event> events = notifier.log().after(after, (int) limit);
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("events");
        events.forEach(event -> list.add(JSON.readTree(EventFormat.cloudEvent(event, notifier.config().source()))));
        body.put("last", events.isEmpty() ? after : events.getLast().id());
        body.put("latest", notifier.log().latest());
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json",
                JSON.writeValueAsBytes(body));
    }

    /** {@code GET /admin/notifications}. */
    void status(Exchange exchange) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode endpoints = body.putArray("endpoints");
        for (Notifier.Status status : notifier.status()) {
            ObjectNode entry = endpoints.addObject();
            entry.put("name", status.endpoint().name());
            entry.put("url", status.endpoint().url().toString());
            entry.put("format", status.endpoint().format().configName());
            EndpointCursor cursor = status.cursor();
            if (cursor != null) {
                entry.put("cursor", cursor.position());
                entry.put("lag", status.latest() - cursor.position());
                putTime(entry, "oldestPending", status.oldestPending());
                putTime(entry, "lastSuccess", cursor.lastSuccess());
                if (cursor.lastError() != null) {
                    entry.put("lastError", cursor.lastError());
                    putTime(entry, "lastErrorAt", cursor.lastErrorAt());
                }
                entry.put("failures", cursor.failures());
                if (cursor.owner() != null && cursor.leaseUntil().isAfter(Instant.now())) {
                    entry.put("deliveredBy", cursor.owner());
                }
            }
            entry.put("behind", status.behind());
        }
        body.put("latest", notifier.log().latest());
        body.put("server", notifier.owner());
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json",
                JSON.writeValueAsBytes(body));
    }

    /** {@code POST /admin/notifications/NAME/replay?from=ID|since=TIME}. */
    void replay(Exchange exchange) {
        String name = exchange.parameter("endpoint");
        Fields query = exchange.query();
        String from = query.getValue("from");
        String since = query.getValue("since");
        if ((from == null) == (since == null)) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "give either from (an event id) or since (a time)");
        }
        long position;
        if (from != null) {
            position = Math.max(0, number(from, "from", 0) - 1);
        } else {
            try {
                position = notifier.log().positionBefore(Instant.parse(since));
            } catch (DateTimeParseException e) {
                throw new HttpError(400, ErrorCode.UNSUPPORTED, "since must be a time such as 2026-12-07T10:00:00Z");
            }
        }
        if (!notifier.replay(name, position)) {
            throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "no notification endpoint named " + name);
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("endpoint", name);
        body.put("cursor", position);
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json",
                JSON.writeValueAsBytes(body));
    }

    private static long number(String value, String name, long absent) {
        if (value == null) {
            return absent;
        }
        try {
            long parsed = Long.parseLong(value);
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, name + " must be a non-negative number");
        }
    }

    private static void putTime(ObjectNode node, String field, Instant time) {
        if (time != null) {
            node.put(field, time.toString());
        }
    }
}
