/* global jest */
jest.setTimeout(60_000);
