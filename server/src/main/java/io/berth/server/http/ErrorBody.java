package io.berth.server.http;

import io.berth.registry.ErrorCode;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The spec's error body: {@code {"errors":[{"code","message","detail"}]}}, and the status each code answers with. */
final class ErrorBody {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ErrorBody() {
    }

    static byte[] of(String code, String message, String detail) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putArray("errors").addObject();
        error.put("code", code);
        error.put("message", message);
        if (detail != null) {
            error.put("detail", detail);
        }
        return JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    }

    static int status(ErrorCode code) {
        return switch (code) {
            case BLOB_UNKNOWN, BLOB_UPLOAD_UNKNOWN, MANIFEST_UNKNOWN, NAME_UNKNOWN -> 404;
            case BLOB_UPLOAD_OUT_OF_ORDER -> 416;
            case UNAUTHORIZED -> 401;
            case DENIED -> 403;
            case UNSUPPORTED -> 405;
            case TOOMANYREQUESTS -> 429;
            case BLOB_UPLOAD_INVALID, DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN, MANIFEST_INVALID, NAME_INVALID,
                 SIZE_INVALID, POLICY_INVALID -> 400;
        };
    }
}
