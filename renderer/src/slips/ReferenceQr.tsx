import { useEffect, useState } from 'react';
import { SESSION_REFERENCE_PATTERN } from '../../../preload/vocabulary';
import { isHandOffCode, type HandOffCode } from './slip-strings';
import './slips.css';

/** Marks the QR as this kiosk's, so a counter scanner can tell it from any other code. */
const QR_PREFIX = 'MYNA-KIOSK';

/** Rendered large and shown smaller by the stylesheet, so the printed modules stay sharp. */
const QR_PIXELS = 264;

/**
 * What the reference QR holds: the session's reference and, on a hand-off,
 * its reason code — nothing else. Both are checked against their closed
 * forms so a PIN, a name, an address or a My Number can never end up in it.
 */
export function qrPayload(reference: string, handOff?: HandOffCode): string {
  if (!SESSION_REFERENCE_PATTERN.test(reference)) throw new RangeError('Not a session reference');
  if (handOff === undefined) return `${QR_PREFIX}:${reference}`;
  if (!isHandOffCode(handOff)) throw new RangeError('Not a hand-off code');
  return `${QR_PREFIX}:${reference}:${handOff}`;
}

/**
 * The reference as a QR code, as an <img> with a data: URL (the page's CSP
 * allows `img-src data:` and no inline markup is injected). Drawing is
 * asynchronous, so an empty box of the same size holds the place meanwhile.
 */
export function ReferenceQr({ reference, handOff, label }: { reference: string; handOff?: HandOffCode; label: string }) {
  const payload = qrPayload(reference, handOff);
  // The payload the image was drawn for travels with it, so a changed reference never shows the old code.
  const [drawn, setDrawn] = useState<{ payload: string; dataUrl: string }>();

  useEffect(() => {
    let wanted = true;
    // The QR library is fetched only when a slip is first drawn: the attract screen does not wait for it.
    import('qrcode')
      .then(({ default: QRCode }) => QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: QR_PIXELS }))
      .then(
        (dataUrl) => {
          if (wanted) setDrawn({ payload, dataUrl });
        },
        () => {
          // The placeholder stays: the reference is printed in letters beside it, which is enough for the counter.
        },
      );
    return () => {
      wanted = false;
    };
  }, [payload]);

  if (drawn?.payload !== payload)
    return <span className="reference-qr reference-qr--pending" role="img" aria-label={label} aria-busy="true" />;
  return <img className="reference-qr" src={drawn.dataUrl} alt={label} width={QR_PIXELS} height={QR_PIXELS} />;
}
