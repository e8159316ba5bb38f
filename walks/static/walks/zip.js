// A zip archive of a few files, stored without compression: what My walks hands a participant
// to give their coordinator (the findings' GeoJSON and their photos, which JPEG has already
// compressed). The project has no zip library, and a stored archive is a few headers and a CRC.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// MS-DOS time and date, the only ones a plain zip entry carries.
function dosTime(date) {
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
  const day = ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return [time, day];
}

function header(fields) {
  const view = new DataView(new ArrayBuffer(fields.reduce((n, [size]) => n + size, 0)));
  let at = 0;
  for (const [size, value] of fields) {
    if (size === 4) view.setUint32(at, value, true);
    else view.setUint16(at, value, true);
    at += size;
  }
  return new Uint8Array(view.buffer);
}

// `files`: [{name, data}], data a Blob or a string. Names are UTF-8 (flag bit 11).
export async function zipBlob(files, now = new Date()) {
  const [time, day] = dosTime(now);
  const parts = [];
  const central = [];
  let offset = 0;
  for (const file of files) {
    const name = new TextEncoder().encode(file.name);
    const data = new Uint8Array(await new Blob([file.data]).arrayBuffer());
    const crc = crc32(data);
    const common = [
      [2, 20], // version needed: 2.0
      [2, 0x0800], // names in UTF-8
      [2, 0], // stored
      [2, time],
      [2, day],
      [4, crc],
      [4, data.length],
      [4, data.length],
      [2, name.length],
    ];
    const local = header([[4, 0x04034b50], ...common, [2, 0]]);
    parts.push(local, name, data);
    central.push(
      header([[4, 0x02014b50], [2, 20], ...common, [2, 0], [2, 0], [2, 0], [2, 0], [4, 0], [4, offset]]),
      name,
    );
    offset += local.length + name.length + data.length;
  }
  const size = central.reduce((n, part) => n + part.length, 0);
  const end = header([
    [4, 0x06054b50],
    [2, 0],
    [2, 0],
    [2, files.length],
    [2, files.length],
    [4, size],
    [4, offset],
    [2, 0],
  ]);
  return new Blob([...parts, ...central, end], { type: "application/zip" });
}
