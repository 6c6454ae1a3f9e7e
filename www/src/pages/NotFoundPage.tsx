import { Link } from '../hooks/useRoute';
import { link } from '../components/ui';

export function NotFoundPage() {
  return (
    <section className="space-y-2">
      <h1 className="text-xl font-bold">Page not found</h1>
      <p>
        <Link to="/" className={link}>Back to the proxies</Link>
      </p>
    </section>
  );
}
