package io.berth.server.http;

import io.berth.registry.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * A request's query parameters, percent-decoded strictly as UTF-8 ({@code +} is a space, as in the
 * {@code application/x-www-form-urlencoded} queries clients send and the {@code Link} headers Berth writes). A
 * parameter whose encoding is malformed (a {@code %} without two hex digits, a raw byte outside printable ASCII) or
 * whose bytes are not UTF-8 (invalid or cut-off sequences, overlong forms, surrogates) is refused with a 400 naming
 * it: a lenient decoder would read such bytes as replacement characters and act on a value the client never sent.
 */
final class QueryParameters {
    private QueryParameters() {
    }

    static Fields of(Request request) {
        Fields fields = new Fields(true);
        String query = request.getHttpURI().getQuery();
        if (query == null || query.isEmpty()) {
            return fields;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals), null);
            fields.add(name, equals < 0 ? "" : decode(pair.substring(equals + 1), name));
        }
        return fields;
    }

    /** Decodes one name ({@code parameter} null) or the value of {@code parameter}. */
    private static String decode(String raw, String parameter) {
        byte[] bytes = new byte[raw.length()];
        int length = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int high = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int low = high < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
                if (low < 0) {
                    throw malformed(parameter);
                }
                bytes[length++] = (byte) (high << 4 | low);
                i += 2;
            } else if (c == '+') {
                bytes[length++] = ' ';
            } else if (c > ' ' && c < 0x7f) {
                bytes[length++] = (byte) c;
            } else {
                throw malformed(parameter);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed(parameter);
        }
    }

    /**
     * The code says what the parameter holds, as a client reads it: a digest, a repository name, a tag of a manifest
     * being pushed; anything else (page size and cursor, filters, admin options) is an unsupported parameter value.
     */
    private static HttpError malformed(String parameter) {
        ErrorCode code = parameter == null ? ErrorCode.UNSUPPORTED : switch (parameter) {
            case "digest", "mount" -> ErrorCode.DIGEST_INVALID;
            case "from" -> ErrorCode.NAME_INVALID;
            case "tag" -> ErrorCode.MANIFEST_INVALID;
            default -> ErrorCode.UNSUPPORTED;
        };
        String what = parameter == null ? "the name of a query parameter"
                : "the query parameter '" + printable(parameter) + "'";
        return new HttpError(400, code, what + " is not valid percent-encoded UTF-8",
                "malformed percent-encoding, or bytes that are not UTF-8");
    }

    /** A decoded name as it may appear in a message: short, and without control characters. */
    private static String printable(String name) {
        String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        return shown.codePoints().allMatch(c -> c >= ' ' && c != 0x7f) ? shown : "?";
    }
}
