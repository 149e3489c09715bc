package io.berth.server.testing;

/** The metadata databases tests run against. */
public enum Backend { SQLITE, POSTGRES }
