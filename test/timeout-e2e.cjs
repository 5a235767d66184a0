/* global jest */
jest.setTimeout(240_000);
