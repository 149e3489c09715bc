package io.berth.server.conformance;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON the way the conformance suite's Go code does ({@code json.MarshalIndent(v, "", "\t")}): one member
 * per line, tab indentation, members in insertion order (struct field order; pass a sorted map where Go marshals
 * a map), {@code byte[]} as standard base64, {@code null} as {@code null}.
 *
 * <p>The exact bytes matter only in that a registry must store and serve them unchanged; the shape (unknown
 * fields, {@code null} members, the {@code data} field) is what the suite exercises.
 */
final class IndentedJson {
    private final StringBuilder out = new StringBuilder();

    private IndentedJson() {
    }

    static byte[] write(Object value) {
        var json = new IndentedJson();
        json.value(value, 0);
        return json.out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private void value(Object value, int depth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(s);
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            case byte[] bytes -> string(Base64.getEncoder().encodeToString(bytes));
            case Map<?, ?> map -> object(map, depth);
            case List<?> list -> array(list, depth);
            default -> throw new IllegalArgumentException("not a JSON value: " + value.getClass());
        }
    }

    private void object(Map<?, ?> map, int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        var first = true;
        for (var entry : map.entrySet()) {
            out.append(first ? "" : ",").append('\n').append("\t".repeat(depth + 1));
            string((String) entry.getKey());
            out.append(": ");
            value(entry.getValue(), depth + 1);
            first = false;
        }
        out.append('\n').append("\t".repeat(depth)).append('}');
    }

    private void array(List<?> list, int depth) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            out.append(i == 0 ? "" : ",").append('\n').append("\t".repeat(depth + 1));
            value(list.get(i), depth + 1);
        }
        out.append('\n').append("\t".repeat(depth)).append(']');
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                // Go escapes these so the JSON is safe inside HTML.
                case '<', '>', '&', '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
