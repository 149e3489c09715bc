package io.berth.server.cli;

import java.io.IOException;

/** What the user named is not there, found out by the command rather than told by a registry: exits with 3. */
final class NotFoundException extends IOException {
    NotFoundException(String message) {
        super(message);
    }
}
