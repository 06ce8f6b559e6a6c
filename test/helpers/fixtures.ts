/** The bundled copy of the shared data files the tests read (gzipped), and where it is unpacked. */
export const FIXTURE_GZ = new URL('../fixtures/data/', import.meta.url).pathname;
export const FIXTURE_DATA = new URL('../fixtures/.data/', import.meta.url).pathname;
