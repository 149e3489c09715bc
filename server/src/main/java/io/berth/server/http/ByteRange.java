package io.berth.server.http;

/** Bytes {@code first} to {@code last} of a blob or an upload, both included, as HTTP's ranges count them. */
record ByteRange(long first, long last) {
    long length() {
        return last - first + 1;
    }
}
