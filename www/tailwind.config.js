/** @type {import('tailwindcss').Config} */
export default {
  content: ['./index.html', './src/**/*.{ts,tsx}'],
  // "class" so the toggle can force a theme; the initial class follows prefers-color-scheme.
  darkMode: 'class',
  theme: { extend: {} },
  plugins: [],
};
