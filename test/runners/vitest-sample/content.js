// What the browser samples draw (the driver rewrites it to change the screenshot).
export const color = '#3366cc';
